/**
 * Every function of the product, with the defaults fixed in one place: the newest Node.js
 * runtime, arm64, esbuild bundling done locally (no Docker), its own log group with retention,
 * and its own role that starts with nothing but writing its logs.
 */
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { FunctionSpec } from '../topology.ts';

export const REPOSITORY_ROOT = join(import.meta.dirname, '..', '..');

/** Optional packages a bundle does without (the AWS SDK aside, which the runtime provides). */
export const BUNDLE_LEAVES_OUT = ['source-map'];

export interface LifecycleFunctionProps {
  spec: FunctionSpec;
  environment: Record<string, string>;
}

export class LifecycleFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, { spec, environment }: LifecycleFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Least-privilege role of the ${spec.name} function`,
    });
    super(scope, id, {
      description: spec.description,
      entry: join(REPOSITORY_ROOT, spec.entry),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      environment: { NODE_OPTIONS: '--enable-source-maps', ...environment },
      role,
      logGroup,
      tracing: Tracing.ACTIVE,
      ...(spec.access.concurrency ? { reservedConcurrentExecutions: spec.access.concurrency } : {}),
      projectRoot: REPOSITORY_ROOT,
      depsLockFilePath: join(REPOSITORY_ROOT, 'package-lock.json'),
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node24',
        format: OutputFormat.CJS,
        // The Node.js runtime ships the AWS SDK v3: leaving it out keeps bundles small and cold starts fast.
        // Handlebars' compiler uses `source-map` only when it is there (for precompiling with
        // maps), and falls back without it: leaving it out saves 27 KB in every templating function.
        externalModules: ['@aws-sdk/*', ...BUNDLE_LEAVES_OUT],
      },
    });
    logGroup.grantWrite(role);
  }
}
