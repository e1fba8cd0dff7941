/**
 * Imported first by whatever starts a local stack (before any handler or adapter module): the
 * shared Powertools metrics read this as they are made. CloudWatch metrics (EMF lines on stdout)
 * are written here only when asked for (`METRICS=1`): they would bury the logs.
 */
process.env.POWERTOOLS_METRICS_DISABLED ??= process.env.METRICS === '1' ? 'false' : 'true';
// The AWS SDK warns on Node below 22 that its releases after January 2027 will need 22. This
// machine runs Node 20 (Lambda runs nodejs24.x) and the lock file pins the SDK: the warning would
// be the first thing `npm start` printed, above the URLs a newcomer needs.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
