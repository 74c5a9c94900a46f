import { actionsModule } from './actions/module.js';
import { coreModule } from './core-module.js';
import { diagnosisModule } from './diagnosis/module.js';
import { oracleModule } from './oracle/module.js';
import { timingModule } from './timing/module.js';
import { topologyModule } from './topology/module.js';
import { mcpModule } from './mcp/http.js';
import type { ApiModuleFactory } from './module.js';
import { uiModule } from './ui/module.js';

/**
 * Every module the API serves, in order. A new module adds one import line and one entry here
 * (see api/README.md); nothing else needs to change.
 */
export const API_MODULES: readonly ApiModuleFactory[] = [
  coreModule,
  diagnosisModule,
  oracleModule,
  timingModule,
  topologyModule,
  uiModule,
  actionsModule,
  mcpModule,
];
