/**
 * The web console in AWS: its files in a private S3 bucket read by CloudFront through origin
 * access control, and `/admin/*` on the same CloudFront domain forwarded to the HTTP API, so the
 * console and the API share one origin (no CORS, and the token goes nowhere else). Marketers
 * sign in through the Cognito user pool's hosted page; the admin API's functions accept their
 * access tokens beside the admin token.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as EdgeFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { OAuthScope, type UserPool, UserPoolClient, UserPoolDomain } from 'aws-cdk-lib/aws-cognito';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { CONSOLE_CSP, writeConsole } from '../console-site.ts';

export interface ConsoleSiteProps {
  api: HttpApi;
  userPool: UserPool;
  /** The admin API's functions: told which user pool and app client to trust. */
  adminApi: LambdaFunction[];
  /** The hosted sign-in page's domain prefix (`<prefix>.auth.<region>.amazoncognito.com`). */
  signInDomainPrefix: string;
}

/** `/` and `/console` lead to the console; a path ending in `/` serves its `index.html` (S3 has no index documents). */
const INDEX_REWRITE = `
function handler(event) {
  var request = event.request;
  if (request.uri === '/' || request.uri === '/console') {
    return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: '/console/' } } };
  }
  if (request.uri.endsWith('/')) request.uri += 'index.html';
  return request;
}`;

export class ConsoleSite extends Construct {
  readonly distribution: Distribution;
  readonly bucket: Bucket;
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);

    const bucket = new Bucket(this, 'Files', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // Only built files live here (the build can always make them again).
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    this.bucket = bucket;

    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONSOLE_CSP, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
      },
    });

    const apiDomain = Fn.select(2, Fn.split('/', props.api.apiEndpoint));
    const api = new HttpOrigin(apiDomain, {
      protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [OriginSslPolicy.TLS_V1_2],
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Lifecycle console, and the admin API on the same origin',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
        functionAssociations: [
          {
            eventType: FunctionEventType.VIEWER_REQUEST,
            function: new EdgeFunction(this, 'IndexRewrite', {
              code: FunctionCode.fromInline(INDEX_REWRITE),
              runtime: FunctionRuntime.JS_2_0,
            }),
          },
        ],
      },
      additionalBehaviors: {
        '/admin/*': {
          origin: api,
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
        // The API's description, for the console's API page (public, read-only).
        '/openapi.json': {
          origin: api,
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
          cachePolicy: CachePolicy.CACHING_DISABLED,
        },
      },
    });
    this.url = `https://${this.distribution.distributionDomainName}/console/`;

    // Made here, not by the pool's addDomain/addClient: they live with the distribution they name.
    const domain = new UserPoolDomain(this, 'SignIn', {
      userPool: props.userPool,
      cognitoDomain: { domainPrefix: props.signInDomainPrefix },
    });
    const client = new UserPoolClient(this, 'Client', {
      userPool: props.userPool,
      generateSecret: false,
      preventUserExistenceErrors: true,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL],
        callbackUrls: [this.url],
        logoutUrls: [this.url],
      },
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });
    for (const fn of props.adminApi) {
      fn.addEnvironment('COGNITO_USER_POOL_ID', props.userPool.userPoolId);
      fn.addEnvironment('COGNITO_CLIENT_ID', client.userPoolClientId);
    }

    // The files are built now, at synthesis; config.json carries values known only at deployment.
    const built = mkdtempSync(join(tmpdir(), 'lifecycle-console-'));
    writeConsole(built, undefined);
    new BucketDeployment(this, 'Deploy', {
      sources: [
        Source.asset(built),
        Source.jsonData('config.json', {
          auth: {
            kind: 'cognito',
            domain: `https://${domain.domainName}.auth.${Stack.of(this).region}.amazoncognito.com`,
            clientId: client.userPoolClientId,
            redirectUri: this.url,
          },
        }),
      ],
      destinationBucket: bucket,
      destinationKeyPrefix: 'console/',
      distribution: this.distribution,
      distributionPaths: ['/console/*'],
    });

    new CfnOutput(Stack.of(this), 'ConsoleUrl', { value: this.url, description: 'The web console' });
    this.acknowledge();
  }

  private acknowledge() {
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'Marketers may work from anywhere; every admin call needs a Cognito token or the admin token.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The console is static files; the admin API behind it authenticates every call and API Gateway throttles. A WAF web ACL can be attached where a shop wants one.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'Admin calls are logged by API Gateway access logs; standard logging of static file reads would need an ACL-enabled bucket for little value.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate does not allow choosing the TLS policy; with a custom domain and certificate, set TLSv1.2_2021.',
      },
    );
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only the built console, read only by CloudFront through origin access control.',
    });
  }
}
