/**
 * EventBridge event-pattern matching, for the local bus: the same rule patterns the CDK app
 * deploys decide which local function receives which event. Covers exact values (including
 * null), prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists and $or.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  for (const [key, expected] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(expected) || !expected.some((alternative) => matchesPattern(alternative, event)))
        return false;
      continue;
    }
    const value = isObject(event) ? event[key] : undefined;
    if (Array.isArray(expected)) {
      if (!matchesField(expected, value)) return false;
    } else if (isObject(expected)) {
      if (!isObject(value) && !hasExistsFalse(expected)) return false;
      if (!matchesPattern(expected, value)) return false;
    } else {
      throw new Error(`invalid event pattern at "${key}": values must be arrays or objects`);
    }
  }
  return true;
}

function hasExistsFalse(pattern: Record<string, unknown>) {
  return Object.values(pattern).some(
    (rule) => Array.isArray(rule) && rule.some((item) => isObject(item) && item.exists === false),
  );
}

function matchesField(rules: unknown[], value: unknown): boolean {
  const candidates: unknown[] = Array.isArray(value) ? value : [value];
  return rules.some((rule) => {
    if (isObject(rule) && 'exists' in rule) return rule.exists === (value !== undefined);
    if (value === undefined) return false;
    if (isObject(rule) && 'anything-but' in rule)
      return candidates.every((candidate) => !matchesRule(rule['anything-but'], candidate));
    return candidates.some((candidate) => matchesRule(rule, candidate));
  });
}

function matchesRule(rule: unknown, value: unknown): boolean {
  if (Array.isArray(rule)) return rule.some((item) => matchesRule(item, value));
  if (!isObject(rule)) return rule === value;
  if ('prefix' in rule) {
    if (typeof value !== 'string') return false;
    const prefix = rule.prefix;
    if (isObject(prefix) && typeof prefix['equals-ignore-case'] === 'string') {
      return value.toLowerCase().startsWith(prefix['equals-ignore-case'].toLowerCase());
    }
    return typeof prefix === 'string' && value.startsWith(prefix);
  }
  if ('suffix' in rule)
    return typeof value === 'string' && typeof rule.suffix === 'string' && value.endsWith(rule.suffix);
  if ('equals-ignore-case' in rule) {
    return (
      typeof value === 'string' &&
      typeof rule['equals-ignore-case'] === 'string' &&
      value.toLowerCase() === rule['equals-ignore-case'].toLowerCase()
    );
  }
  if ('wildcard' in rule)
    return (
      typeof value === 'string' && typeof rule.wildcard === 'string' && wildcard(rule.wildcard).test(value)
    );
  if ('numeric' in rule)
    return typeof value === 'number' && Array.isArray(rule.numeric) && numeric(rule.numeric, value);
  throw new Error(`unsupported event pattern rule: ${JSON.stringify(rule as Json)}`);
}

function numeric(conditions: unknown[], value: number) {
  for (let index = 0; index < conditions.length; index += 2) {
    const operator = conditions[index];
    const operand = Number(conditions[index + 1]);
    const holds =
      operator === '='
        ? value === operand
        : operator === '<'
          ? value < operand
          : operator === '<='
            ? value <= operand
            : operator === '>'
              ? value > operand
              : operator === '>='
                ? value >= operand
                : false;
    if (!holds) return false;
  }
  return true;
}

function wildcard(pattern: string) {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 's');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}
