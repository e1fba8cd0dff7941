/**
 * The CDK app: a stateful stack (data) and a stateless stack (compute), checked by cdk-nag's
 * AwsSolutions pack at synth; synth fails while any finding is unacknowledged.
 *
 * Sender settings come from CDK context (cdk.json, or `-c mailFrom=...` at deploy).
 */
import { App, type Environment, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StatefulStack } from './stateful-stack.ts';
import { type SenderSettings, StatelessStack } from './stateless-stack.ts';

export function buildApp(app: App, env?: Environment) {
  const context = (key: string) => {
    const value = app.node.tryGetContext(key);
    if (typeof value !== 'string' || value.trim() === '') {
      throw new Error(`CDK context "${key}" is required: set it in cdk.json or pass -c ${key}=...`);
    }
    return value;
  };
  const sender: SenderSettings = {
    mailFrom: context('mailFrom'),
    sesIdentity: context('sesIdentity'),
    brandName: context('brandName'),
    postalAddress: context('postalAddress'),
  };
  const stateful = new StatefulStack(app, 'LifecycleStateful', {
    env,
    description: 'Lifecycle pipeline: data',
  });
  const stateless = new StatelessStack(app, 'LifecycleStateless', {
    env,
    description: 'Lifecycle pipeline: API and functions',
    table: stateful.table,
    bus: stateful.bus,
    writeKey: stateful.writeKey,
    adminToken: stateful.adminToken,
    offerSecret: stateful.offerSecret,
    unsubscribeSecret: stateful.unsubscribeSecret,
    userPool: stateful.userPool,
    ...optionalContext(app, 'signInDomainPrefix'),
    sender,
    scheduleAtUtc: {
      NightlySweep: contextString(app, 'sweepAtUtc'),
      NightlyModelFit: contextString(app, 'modelAtUtc'),
    },
    ...optionalContext(app, 'alarmEmail'),
    inboundMail: stateful.inboundMail,
    ...optionalContext(app, 'inboundDomain'),
    ...optionalContext(app, 'supportAddress'),
  });
  stateless.addStackDependency(stateful);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stateful, stateless };
}

function optionalContext(app: App, key: string): Record<string, string> {
  const value = contextString(app, key);
  return value ? { [key]: value } : {};
}

function contextString(app: App, key: string): string | undefined {
  const value = app.node.tryGetContext(key);
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = new App();
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  buildApp(app, account && region ? { account, region } : undefined);
  app.synth();
}
