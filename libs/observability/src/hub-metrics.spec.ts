import { HubMetrics } from './hub-metrics';

describe('HubMetrics', () => {
  it('counts instances and bytes by calling AE and outcome, and times the stores', async () => {
    const metrics = new HubMetrics();
    metrics.instanceReceived('RVJ_PACS', 'stored', 1000, 0.004);
    metrics.instanceReceived('RVJ_PACS', 'stored', 500, 0.02);
    metrics.instanceReceived('RVJ_PACS', 'out-of-resources', 700, 0.001);
    const { body, contentType } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain/);
    expect(body).toContain('iehub_instances_received_total{calling_ae="RVJ_PACS",outcome="stored"} 2');
    expect(body).toContain('iehub_received_bytes_total{calling_ae="RVJ_PACS",outcome="stored"} 1500');
    expect(body).toContain('iehub_instances_received_total{calling_ae="RVJ_PACS",outcome="out-of-resources"} 1');
    expect(body).toContain('iehub_store_duration_seconds_bucket{le="0.005",outcome="stored"} 1');
    expect(body).toContain('iehub_store_duration_seconds_count{outcome="stored"} 2');
  });

  it('keeps active associations as opened less ended', async () => {
    const metrics = new HubMetrics();
    metrics.associationOpened();
    metrics.associationOpened();
    metrics.associationEnded('aborted');
    const { body } = await metrics.render();
    expect(body).toContain('iehub_associations_active 1');
    expect(body).toContain('iehub_associations_total{ending="aborted"} 1');
  });

  it('fills a scrape-time gauge on each scrape, and counts a collector that fails instead of failing the scrape', async () => {
    const metrics = new HubMetrics();
    let depth = 3;
    metrics.scrapeGauge({ name: 'test_depth', help: 'depth', labelNames: ['node'] }, (gauge) => {
      gauge.set({ node: 'RA7_PACS' }, depth);
      return Promise.resolve();
    });
    metrics.scrapeGauge({ name: 'test_broken', help: 'broken' }, () => Promise.reject(new Error('MySQL gone')));
    expect((await metrics.render()).body).toContain('test_depth{node="RA7_PACS"} 3');
    depth = 0;
    expect((await metrics.render()).body).toContain('test_depth{node="RA7_PACS"} 0');
    // Counted while the scrape runs, so it shows from the next one on.
    expect((await metrics.render()).body).toContain('iehub_scrape_errors_total{metric="test_broken"} 2');
  });

  it('counts deliveries by node and outcome, with the instances answered', async () => {
    const metrics = new HubMetrics();
    metrics.deliveryFinished('RA7_PACS', 'partially-delivered', { delivered: 4, refused: 1 });
    metrics.fetchFinished('retry');
    metrics.auditWritten([{ name: 'instances-stored' }, { name: 'instances-stored' }]);
    const { body } = await metrics.render();
    expect(body).toContain('iehub_deliveries_total{node="RA7_PACS",outcome="partially-delivered"} 1');
    expect(body).toContain('iehub_delivered_instances_total{node="RA7_PACS",outcome="delivered"} 4');
    expect(body).toContain('iehub_delivered_instances_total{node="RA7_PACS",outcome="refused"} 1');
    expect(body).toContain('iehub_fetches_total{outcome="retry"} 1');
    expect(body).toContain('iehub_audit_events_total{event="instances-stored"} 2');
  });
});
