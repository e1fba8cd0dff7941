/**
 * The local stand-in for EventBridge Scheduler: runs each scheduled function of the topology at
 * its time of day (UTC), like the deployed schedule, for as long as the stack runs.
 */
import { parseTimeOfDay, type ScheduleTrigger } from '../topology.ts';
import type { LocalFunction } from './lambda-runtime.ts';

export class LocalScheduler {
  private readonly timers = new Set<NodeJS.Timeout>();

  /** `overrideAtUtc` (`HH:MM`, or `off`) replaces the topology's time, as CDK context does in AWS. */
  schedule(trigger: ScheduleTrigger, target: LocalFunction, overrideAtUtc?: string) {
    const at = overrideAtUtc ?? trigger.dailyAtUtc;
    if (at === 'off') return;
    const arm = () => {
      const timer = setTimeout(
        async () => {
          this.timers.delete(timer);
          try {
            await target.invoke({
              source: 'local.scheduler',
              schedule: trigger.name,
              time: new Date().toISOString(),
            });
          } catch (error) {
            console.error(`schedule ${trigger.name}: ${String(error)}`);
          }
          arm();
        },
        millisecondsUntil(at, new Date()),
      );
      timer.unref();
      this.timers.add(timer);
    };
    arm();
  }

  stop() {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

export function millisecondsUntil(timeOfDayUtc: string, now: Date): number {
  const { hour, minute } = parseTimeOfDay(timeOfDayUtc);
  const next = new Date(now);
  next.setUTCHours(hour, minute, 0, 0);
  if (next.getTime() <= now.getTime()) next.setUTCDate(next.getUTCDate() + 1);
  return next.getTime() - now.getTime();
}
