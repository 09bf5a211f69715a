/**
 * What the bridge uses of an OpenTelemetry `Meter` (@opentelemetry/api 1.x), written out here
 * rather than imported so that the package's declarations never need @opentelemetry/api, an
 * optional peer: a consumer without it still compiles with skipLibCheck off (issue 22). A real
 * Meter fits these shapes (the type tests assign one); so does any object with these methods.
 */

/** Attributes as the bridge sets them: string values, a subset of the API's `Attributes`. */
export type MeterAttributes = Readonly<Record<string, string | undefined>>;

/** What the bridge passes when it creates an instrument. */
export interface InstrumentOptionsLike {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

export interface HistogramLike {
  record(value: number, attributes?: MeterAttributes): void;
}

export interface CounterLike {
  add(value: number, attributes?: MeterAttributes): void;
}

/** An observable instrument: the bridge never calls it, only hands it back to the meter and to the batch result. */
export type ObservableLike = object;

export interface BatchObservableResultLike {
  observe(observable: ObservableLike, value: number, attributes?: MeterAttributes): void;
}

/** A batch callback; the API awaits one that returns a promise (the isolation gauges read the history so). */
export type BatchObservableCallbackLike = (result: BatchObservableResultLike) => void | Promise<void>;

export interface MeterLike {
  createHistogram(name: string, options?: InstrumentOptionsLike): HistogramLike;
  createCounter(name: string, options?: InstrumentOptionsLike): CounterLike;
  createObservableUpDownCounter(name: string, options?: InstrumentOptionsLike): ObservableLike;
  /** Needed only with the bridge's `isolation` option (every @opentelemetry/api 1.x Meter has it). */
  createObservableGauge?(name: string, options?: InstrumentOptionsLike): ObservableLike;
  addBatchObservableCallback(callback: BatchObservableCallbackLike, observables: ObservableLike[]): void;
  removeBatchObservableCallback(callback: BatchObservableCallbackLike, observables: ObservableLike[]): void;
}
