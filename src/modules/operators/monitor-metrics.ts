import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsRegistry } from './metrics-registry';

export type FireTrigger = 'scheduled' | 'manual';
/** Why a due slot created no run: a fixed set, so the label never grows with tenants' data. */
export type MonitorSkipReason = 'nothing_new' | 'no_match' | 'daily_cap' | 'quota' | 'paused';

/**
 * Monitor counters. Named `pandaprobe_eval_monitor_*` so that worker processes publish them with
 * their other eval counters and the API's /metrics shows the sum.
 */
@Injectable()
export class MonitorMetrics {
  private readonly fires: Counter<'trigger' | 'target_type'>;
  private readonly skips: Counter<'reason'>;
  private readonly failures: Counter<'stage'>;

  constructor(metrics: MetricsRegistry) {
    this.fires = metrics.counter({
      name: 'eval_monitor_fires_total',
      help: 'Monitor fires that created an eval run, by trigger (scheduled, manual) and target type.',
      labelNames: ['trigger', 'target_type'],
    });
    this.skips = metrics.counter({
      name: 'eval_monitor_skips_total',
      help: 'Due monitor slots that created no run, by reason (nothing_new, no_match, daily_cap, quota, paused).',
      labelNames: ['reason'],
    });
    this.failures = metrics.counter({
      name: 'eval_monitor_failures_total',
      help: 'Monitor fires that failed with an error (the slot is consumed; the next slot tries again).',
      labelNames: ['stage'],
    });
  }

  fired(trigger: FireTrigger, targetType: string): void {
    this.fires.inc({ trigger, target_type: targetType });
  }

  skipped(reason: MonitorSkipReason): void {
    this.skips.inc({ reason });
  }

  failed(stage: 'spawn' | 'dispatch'): void {
    this.failures.inc({ stage });
  }
}
