import type { DayHours, WeekSchedule } from '../../shared/api.ts';

/**
 * The weekly schedule as the volunteer edits it: days Monday first (the settings keep Sunday
 * as 0, as JavaScript's getDay and BOINC do), hours as HH:MM choices every half hour, 24:00
 * included. Pure.
 */

export const DAYS: readonly { index: number; name: string }[] = [
  { index: 1, name: 'Monday' },
  { index: 2, name: 'Tuesday' },
  { index: 3, name: 'Wednesday' },
  { index: 4, name: 'Thursday' },
  { index: 5, name: 'Friday' },
  { index: 6, name: 'Saturday' },
  { index: 0, name: 'Sunday' },
];

/** 18.5 → "18:30"; 24 → "24:00". */
export function hourText(hour: number): string {
  const minutes = Math.round(hour * 60);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** Every half hour from 00:00 to 24:00, and `current` where it falls between. */
export function hourChoices(current: number): number[] {
  const grid = Array.from({ length: 49 }, (_, i) => i / 2);
  return grid.includes(current) ? grid : [...grid, current].sort((a, b) => a - b);
}

/** The schedule a volunteer starts from when they stop "at any time": every day, all day. */
export function allWeek(): WeekSchedule {
  const day = (): DayHours => ({ from: 0, to: 24 });
  return [day(), day(), day(), day(), day(), day(), day()];
}

/**
 * A day's hours for people, as the policy reads them (BOINC's TIME_SPAN): equal hours are the
 * whole day, and `from` after `to` is both ends of the day.
 */
export function describeDay(hours: DayHours | null): string {
  if (hours === null) return 'not at all';
  if (hours.from === hours.to || (hours.from === 0 && hours.to === 24)) return 'all day';
  if (hours.from > hours.to) return `until ${hourText(hours.to)} and from ${hourText(hours.from)}`;
  return `${hourText(hours.from)}–${hourText(hours.to)}`;
}
