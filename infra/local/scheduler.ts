/**
 * The local stand-in for EventBridge Scheduler: runs each scheduled function of the topology at
 * its time of day (UTC) or every few minutes, like the deployed schedules, while the stack runs.
 */
import { parseTimeOfDay, type ScheduleTrigger } from '../topology.ts';
import type { LocalFunction } from './lambda-runtime.ts';

export class LocalScheduler {
  private readonly timers = new Set<NodeJS.Timeout>();

  /**
   * `overrideAtUtc` (`HH:MM`, or `off`) replaces a daily schedule's time, as CDK context does in
   * AWS; `off` also stops the frequent ones.
   */
  schedule(trigger: ScheduleTrigger, target: LocalFunction, overrideAtUtc?: string) {
    if (overrideAtUtc === 'off') return;
    const run = async () => {
      try {
        await target.invoke(trigger.input ?? {});
      } catch (error) {
        console.error(`schedule ${trigger.name}: ${String(error)}`);
      }
    };
    const arm = () => {
      const wait =
        'dailyAtUtc' in trigger
          ? millisecondsUntil(overrideAtUtc ?? trigger.dailyAtUtc, new Date())
          : trigger.everyMinutes * 60_000;
      const timer = setTimeout(async () => {
        this.timers.delete(timer);
        await run();
        arm();
      }, wait);
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
