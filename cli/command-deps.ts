import type { Config } from '../lib/config.js';
import type { Lifecycle } from '../lib/lifecycle.js';
import type { Logger } from '../lib/logger.js';

/** Starts a long-lived service's parts, registering each with the lifecycle that closes them. */
export type ServiceStart = (
  config: Config,
  logger: Logger,
  lifecycle: Lifecycle,
  onFatal: (error: Error) => void,
) => Promise<unknown>;

/** `cli/main.ts`'s runner of a service until SIGTERM/SIGINT (or its own failure). */
export type RunService = (component: string, start: ServiceStart) => Promise<void>;

/** `cli/main.ts`'s loader of the configuration and a logger for one component. */
export type CommandContext = (component?: string) => { config: Config; logger: Logger };
