/**
 * Imported first by whatever starts a local stack (before any handler or adapter module): the
 * shared Powertools metrics read this as they are made. CloudWatch metrics (EMF lines on stdout)
 * are written here only when asked for (`METRICS=1`): they would bury the logs.
 */
process.env.POWERTOOLS_METRICS_DISABLED ??= process.env.METRICS === '1' ? 'false' : 'true';
