/** compare's `--concurrency N`, `--rate R` and `--load-runs N`, read into CompareOptions' `throughput`. */
import type { ThroughputOptions } from '../../compare/throughput';
import { UsageError } from '../command';

export function throughputOption(flags: Record<string, unknown>): { throughput?: ThroughputOptions } {
  const concurrency = flags.concurrency as number | undefined;
  const rate = flags.rate as number | undefined;
  const runs = flags['load-runs'] as number | undefined;
  if (concurrency === undefined && rate === undefined) {
    if (runs !== undefined)
      throw new UsageError(`--load-runs applies to --concurrency or --rate; add one (e.g. --concurrency 4 --load-runs ${runs})`);
    return {};
  }
  return {
    throughput: {
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(rate === undefined ? {} : { rate }),
      ...(runs === undefined ? {} : { runs }),
    },
  };
}
