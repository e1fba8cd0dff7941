/**
 * What holds data and must outlive any deployment: the table, the event bus and its archive,
 * and the secrets. Retained on delete. (The dead-letter queues live with the rules that feed
 * them, in the stateless stack, because each queue's policy names its rule; they are retained.)
 */
import { Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccountRecovery, CfnUserPoolGroup, Mfa, UserPool } from 'aws-cdk-lib/aws-cognito';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { DUE_INDEX, TABLE_KEYS } from '../../shared/adapters/dynamodb/table.ts';
import { ROLE_DESCRIPTIONS, ROLES } from '../../shared/domain/access.ts';
import { RESOURCE_NAMES } from '../topology.ts';

export class StatefulStack extends Stack {
  readonly table: Table;
  readonly bus: EventBus;
  readonly writeKey: Secret;
  readonly adminToken: Secret;
  /** Key of the HMAC behind offer codes: unguessable codes without storing them anywhere. */
  readonly offerSecret: Secret;
  /** Key of the unsubscribe tokens in every email's links. */
  readonly unsubscribeSecret: Secret;
  /** Marketers who may sign in to the console (created by an administrator, never by sign-up). */
  readonly userPool: UserPool;
  /** Replies SES receives, as raw messages (its receipt rule's S3 action), kept 30 days. */
  readonly inboundMail: Bucket;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partition, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sort, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // The projections (counters, the customer directory) follow every change.
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      // Sealed pages of the event log leave on their own.
      timeToLiveAttribute: 'expiresAt',
    });
    this.table.addGlobalSecondaryIndex({
      indexName: DUE_INDEX.name,
      partitionKey: { name: DUE_INDEX.partition, type: AttributeType.STRING },
      sortKey: { name: DUE_INDEX.sort, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });

    this.bus = new EventBus(this, 'Bus', { eventBusName: `${RESOURCE_NAMES.bus}-${this.stackName}` });
    this.bus.applyRemovalPolicy(RemovalPolicy.RETAIN);
    // Every event is kept for replay: a fixed bug can be re-run over the events it mishandled.
    this.bus.archive('Archive', {
      description: 'Every lifecycle event, for replay',
      eventPattern: { account: [this.account] },
      retention: Duration.days(90),
    });

    this.writeKey = new Secret(this, 'WriteKey', {
      description: 'Segment write key websites use to post events (Basic auth user name)',
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.adminToken = new Secret(this, 'AdminToken', {
      description: 'Bearer token of the admin API',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.offerSecret = new Secret(this, 'OfferSecret', {
      description: 'Key that makes offer codes unguessable',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.unsubscribeSecret = new Secret(this, 'UnsubscribeSecret', {
      description:
        'Key of unsubscribe tokens: links in inboxes must keep working, so it is never rotated away',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.userPool = new UserPool(this, 'Marketers', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // A marketer's role is their group (shared/domain/access.ts); one in none is a viewer.
    for (const role of ROLES)
      new CfnUserPoolGroup(this, `${pascal(role)}Group`, {
        userPoolId: this.userPool.userPoolId,
        groupName: role,
        description: ROLE_DESCRIPTIONS[role],
        precedence: ROLES.length - ROLES.indexOf(role),
      });
    const threatProtection =
      'Threat protection needs the paid Plus feature plan; sign-up is closed (administrators create marketers) and MFA is required.';
    Validations.of(this.userPool).acknowledge(
      { id: 'AwsSolutions-COG3', reason: threatProtection },
      { id: 'AwsSolutions-COG8', reason: threatProtection },
    );

    this.inboundMail = new Bucket(this, 'InboundMail', {
      bucketName: inboundBucketName(this),
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // The inbound function reads a message once, at once; what it kept is in the table.
      lifecycleRules: [{ expiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.inboundMail).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only SES writes (its receipt rule) and only the inbound function reads; objects expire after 30 days. CloudTrail data events can audit it if an operator needs that.',
    });

    for (const secret of [this.writeKey, this.adminToken, this.offerSecret, this.unsubscribeSecret]) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotated by the operator (update the secret; functions read it at cold start). Automatic rotation would break every website holding the write key.',
      });
    }
  }
}

/** Named, so that the stateless stack can grant its objects without a cross-stack token. */
export function inboundBucketName(stack: Stack) {
  return `lifecycle-inbound-${stack.account}-${stack.region}`;
}

export function pascal(name: string) {
  return name.replace(/(^|-)(\w)/g, (_match, _dash, letter: string) => letter.toUpperCase());
}
