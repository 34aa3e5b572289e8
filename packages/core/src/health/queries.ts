/** Read side of health, shaped for the API: fleet overview, one device's series and its events. */
export * from './overview.ts';
export * from './series.ts';
export * from './timeline.ts';
