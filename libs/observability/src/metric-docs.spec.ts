import { NodeRepository, TransferRepository } from '@hub/db';
import { StudyQueueProducer } from '@hub/queue';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DeliveryGauges } from './delivery-gauges';
import { HubMetrics } from './hub-metrics';

const DOCS = path.join(__dirname, '..', '..', '..', 'docs');

/** Every iehub_ metric a process can register: the event metrics and the forwarder's scrape-time gauges. */
function registeredNames(): string[] {
  const metrics = new HubMetrics();
  // Registering reads nothing; the repositories and queues are only asked when scraped.
  new DeliveryGauges(metrics, {} as TransferRepository, {} as NodeRepository, {} as StudyQueueProducer).onModuleInit();
  return metrics.registry
    .getMetricsAsArray()
    .map((metric) => metric.name)
    .filter((name) => name.startsWith('iehub_'));
}

describe('the metrics as documented', () => {
  it('the Grafana dashboard queries only metrics the hub has', () => {
    const dashboard = readFileSync(path.join(DOCS, 'grafana-dashboard.json'), 'utf8');
    const used = new Set(
      [...dashboard.matchAll(/\biehub_[a-z_]+/g)].map(([name]) => name.replace(/_(bucket|count|sum)$/, '')),
    );
    expect([...used].filter((name) => !registeredNames().includes(name))).toEqual([]);
    expect(used.size).toBeGreaterThanOrEqual(12);
  });

  it('docs/operations.md lists every metric', () => {
    const operations = readFileSync(path.join(DOCS, 'operations.md'), 'utf8');
    expect(registeredNames().filter((name) => !operations.includes(`\`${name}\``))).toEqual([]);
  });
});
