import { parsePrometheusText as parse } from '../../../../test/support/prometheus';
import { labelValue, MetricsService } from './metrics.service';

describe('MetricsService', () => {
  it('counts outbound errors, fetched bytes and fetch time with bounded labels, in the text format', async () => {
    const metrics = new MetricsService();
    metrics.outboundError('ent-b', 'timeout');
    metrics.outboundError('ent-b', 'timeout');
    metrics.fetchedBytes('ent-a', 1000);
    metrics.fetchEnded('ent-a', 0.5, 'ok');
    metrics.jobFailed('arrival.fetch-object', false);
    const samples = parse(await metrics.render());
    expect(samples.get('ent_gateway_outbound_errors_total{peer="ent-b",reason="timeout"}')).toBe(2);
    expect(samples.get('ent_gateway_fetch_bytes_total{peer="ent-a"}')).toBe(1000);
    expect(samples.get('ent_gateway_fetch_seconds_total{peer="ent-a"}')).toBe(0.5);
    expect(samples.get('ent_gateway_fetches_total{peer="ent-a",outcome="ok"}')).toBe(1);
    expect(samples.get('ent_gateway_job_failures_total{kind="arrival.fetch-object",final="false"}')).toBe(1);
    expect([...samples.keys()].some((k) => k.startsWith('process_resident_memory_bytes'))).toBe(true);
  });

  it('never turns a value chosen by a peer into a new series', async () => {
    const metrics = new MetricsService();
    metrics.outboundError('ent-b', 'status 401 from http://10.0.0.1/"}\nevil 1');
    metrics.outboundError('x'.repeat(200), 'timeout');
    const text = await metrics.render();
    expect(text).not.toContain('evil');
    expect(parse(text).get('ent_gateway_outbound_errors_total{peer="ent-b",reason="other"}')).toBe(1);
    expect(parse(text).get('ent_gateway_outbound_errors_total{peer="other",reason="timeout"}')).toBe(1);
    expect(labelValue(undefined)).toBe('other');
    expect(labelValue('arrival.import-item')).toBe('arrival.import-item');
  });
});
