import { parseArgs } from '../graphql/args.js';
import { loadSdl } from '../graphql/compose.js';
import { idParam, intParam } from '../http/params.js';
import type { ApiModuleFactory } from '../module.js';
import { TopologyReadModel } from './read-model.js';

/** GraphQL `agentGraph(window_minutes)` and `traceWaterfall(trace_id)`, which the dashboard draws. */
export const topologyModule: ApiModuleFactory = (context) => {
  const model = new TopologyReadModel(context.reader, context.readModels, context.now, context.config.agents);
  return {
    name: 'topology',
    typeDefs: loadSdl(new URL('./topology.graphql', import.meta.url)),
    resolvers: {
      Query: {
        agentGraph: (_parent, args) => {
          const { window_minutes } = parseArgs({ window_minutes: intParam(15, 1, 1_440) }, args);
          return model.agentGraph(window_minutes);
        },
        traceWaterfall: async (_parent, args) => {
          const { trace_id } = parseArgs({ trace_id: idParam() }, args);
          return (await model.waterfall(trace_id)) ?? null;
        },
      },
    },
  };
};
