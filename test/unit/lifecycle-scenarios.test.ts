import { MemoryStore } from '../support/fakes.ts';
import { lifecycleScenarios } from '../support/lifecycle-scenarios.ts';
import { contactPolicyScenarios } from '../support/policy-scenarios.ts';
import { predictiveScenarios } from '../support/predictive-scenarios.ts';
import { Scenario } from '../support/scenario.ts';

lifecycleScenarios(() => {
  const store = new MemoryStore();
  return new Scenario(store, store, store);
});

contactPolicyScenarios((settings) => {
  const store = new MemoryStore();
  return new Scenario(store, store, store, settings);
});

predictiveScenarios((settings) => {
  const store = new MemoryStore();
  return new Scenario(store, store, store, settings);
});
