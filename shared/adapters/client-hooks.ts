/**
 * Lets the local stack reach the AWS clients the adapters create, to put its fault injector in
 * front of them. Nothing registers a hook in AWS, where this does nothing.
 */
export type AwsService = 'dynamodb' | 'eventbridge' | 'ses' | 'sqs';

/** What a hook gets: any SDK v3 client (all have a middleware stack). */
export interface HookableClient {
  middlewareStack: { add: (middleware: never, options: never) => void };
}

export type ClientHook = (client: HookableClient, service: AwsService) => void;

// On globalThis: the handlers may be loaded as separate module instances of this file.
const registry = globalThis as { __lifecycleClientHooks?: ClientHook[] };

/** Hooks the clients created from now on; answers how to take the hook away again. */
export function registerClientHook(hook: ClientHook): () => void {
  registry.__lifecycleClientHooks ??= [];
  registry.__lifecycleClientHooks.push(hook);
  return () => {
    registry.__lifecycleClientHooks = registry.__lifecycleClientHooks?.filter((other) => other !== hook);
  };
}

export function hooked<T extends HookableClient>(client: T, service: AwsService): T {
  for (const hook of registry.__lifecycleClientHooks ?? []) hook(client, service);
  return client;
}
