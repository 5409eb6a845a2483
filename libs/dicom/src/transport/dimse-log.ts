import { dimseLog } from './dcmjs-bridge';

export type DimseLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/**
 * Sends dcmjs-dimse's own log lines to the hub's logger instead of the console. The level stays what the
 * DICOM code sets (`setLevel` rebuilds the methods through this factory, so the route survives it).
 */
export function routeDimseLog(sink: (level: DimseLogLevel, message: string) => void): void {
  dimseLog.methodFactory = (method) => {
    const level: DimseLogLevel = method;
    return (...args: unknown[]) =>
      sink(level, args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(' '));
  };
  dimseLog.rebuild();
}
