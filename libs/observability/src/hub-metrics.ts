import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What became of one received instance, as a metric label: few values, whatever the DIMSE status. */
export type InstanceOutcomeLabel = 'stored' | 'out-of-resources' | 'refused';

/** How an association ended, or why it was turned away. */
export type AssociationEndLabel = 'released' | 'aborted' | 'closed';
export type AssociationRejectLabel =
  | 'calling-ae-not-recognized'
  | 'called-ae-not-recognized'
  | 'local-limit-exceeded'
  | 'tls-failure'
  | 'protocol-violation';

/** What one delivery association settled the transfer as: a round while receiving, a retry, or an end state. */
export type DeliveryOutcomeLabel = 'delivered' | 'partially-delivered' | 'failed' | 'retry' | 'round';
export type FetchOutcomeLabel = 'completed' | 'partially-completed' | 'failed' | 'retry';

/**
 * The hub's Prometheus metrics, in one registry per process (all apps share it when they run together).
 * Services report events through the named methods; gauges that describe the database are filled by the
 * collectors an app registers, when scraped. Label values are bounded: AE titles of configured nodes (an
 * unknown caller is rejected before anything is counted under its name), node AE titles, fixed outcomes.
 */
@Injectable()
export class HubMetrics {
  readonly registry = new Registry();

  private readonly instancesReceived = new Counter({
    name: 'iehub_instances_received_total',
    help: 'Instances received over C-STORE, by calling AE title and outcome (stored, out-of-resources, refused).',
    labelNames: ['calling_ae', 'outcome'],
    registers: [this.registry],
  });
  private readonly bytesReceived = new Counter({
    name: 'iehub_received_bytes_total',
    help: 'Bytes of received data sets, by calling AE title and outcome.',
    labelNames: ['calling_ae', 'outcome'],
    registers: [this.registry],
  });
  private readonly storeDuration = new Histogram({
    name: 'iehub_store_duration_seconds',
    help: 'Time from a data set fully received to its C-STORE answer (file flushed, row committed), by outcome.',
    labelNames: ['outcome'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly associationsActive = new Gauge({
    name: 'iehub_associations_active',
    help: 'Inbound DICOM associations accepted and not yet ended.',
    registers: [this.registry],
  });
  private readonly associationsEnded = new Counter({
    name: 'iehub_associations_total',
    help: 'Inbound DICOM associations that ended, by how (released, aborted, closed).',
    labelNames: ['ending'],
    registers: [this.registry],
  });
  private readonly associationsRejected = new Counter({
    name: 'iehub_associations_rejected_total',
    help: 'Inbound DICOM associations rejected or cut, by reason.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly deliveries = new Counter({
    name: 'iehub_deliveries_total',
    help: 'Delivery associations to push nodes, by node AE title and what they settled the transfer as.',
    labelNames: ['node', 'outcome'],
    registers: [this.registry],
  });
  private readonly deliveredInstances = new Counter({
    name: 'iehub_delivered_instances_total',
    help: 'Instances answered by push nodes, by node AE title and outcome (delivered, refused).',
    labelNames: ['node', 'outcome'],
    registers: [this.registry],
  });
  private readonly fetches = new Counter({
    name: 'iehub_fetches_total',
    help: 'Fetch attempts (C-FIND then C-MOVE from a source node), by outcome.',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly auditEvents = new Counter({
    name: 'iehub_audit_events_total',
    help: 'Audit events written, by event name.',
    labelNames: ['event'],
    registers: [this.registry],
  });
  private readonly scrapeErrors = new Counter({
    name: 'iehub_scrape_errors_total',
    help: 'Scrape-time gauges that could not be read (MySQL or Redis unavailable), by metric name.',
    labelNames: ['metric'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  instanceReceived(callingAe: string, outcome: InstanceOutcomeLabel, bytes: number, seconds: number): void {
    this.instancesReceived.inc({ calling_ae: callingAe, outcome });
    this.bytesReceived.inc({ calling_ae: callingAe, outcome }, bytes);
    this.storeDuration.observe({ outcome }, seconds);
  }

  associationOpened(): void {
    this.associationsActive.inc();
  }

  associationEnded(ending: AssociationEndLabel): void {
    this.associationsActive.dec();
    this.associationsEnded.inc({ ending });
  }

  associationRejected(reason: AssociationRejectLabel): void {
    this.associationsRejected.inc({ reason });
  }

  deliveryFinished(node: string, outcome: DeliveryOutcomeLabel, instances: { delivered: number; refused: number }) {
    this.deliveries.inc({ node, outcome });
    if (instances.delivered > 0) {
      this.deliveredInstances.inc({ node, outcome: 'delivered' }, instances.delivered);
    }
    if (instances.refused > 0) {
      this.deliveredInstances.inc({ node, outcome: 'refused' }, instances.refused);
    }
  }

  fetchFinished(outcome: FetchOutcomeLabel): void {
    this.fetches.inc({ outcome });
  }

  auditWritten(events: Array<{ name: string }>): void {
    for (const { name } of events) {
      this.auditEvents.inc({ event: name });
    }
  }

  /**
   * A gauge whose value is read on each scrape. A collector that fails leaves the gauge empty for that scrape
   * (and the failure in iehub_scrape_errors_total) rather than failing the whole scrape.
   */
  scrapeGauge(
    options: { name: string; help: string; labelNames?: string[] },
    collect: (gauge: Gauge) => Promise<void>,
  ): Gauge {
    const errors = this.scrapeErrors;
    const gauge: Gauge = new Gauge({
      ...options,
      labelNames: options.labelNames ?? [],
      registers: [this.registry],
      async collect() {
        gauge.reset();
        try {
          await collect(gauge);
        } catch {
          errors.inc({ metric: options.name });
        }
      },
    });
    return gauge;
  }

  /** The Prometheus text exposition of every metric. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
