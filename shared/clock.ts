/**
 * The wall clock, for the code around the engine (the engine itself reads time only from its
 * inputs). The local stack can move it (`POST /_local/clock`) so a demo can live through months
 * in minutes; in AWS nothing ever moves it.
 */
let offsetMs = 0;

export const clock = {
  now: (): Date => new Date(Date.now() + offsetMs),
};

export function setClock(to: Date) {
  offsetMs = to.getTime() - Date.now();
}

export function resetClock() {
  offsetMs = 0;
}
