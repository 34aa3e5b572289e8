import { ZAlertRuleInput } from '@edgefleet/protocol/health';
import { describe, expect, it } from 'vitest';
import { conditionText, emptyRuleForm, formFromRule, toRuleInput } from './rule-form-state';

describe('rule form state', () => {
  it('turns the form into a valid rule input, windows in seconds', () => {
    const input = toRuleInput({ ...emptyRuleForm(), name: 'hot', threshold: '85', window: '10', windowUnit: 'min' });
    expect(ZAlertRuleInput.parse(input)).toMatchObject({
      kind: 'metric',
      metric: 'cpu_percent',
      threshold: 85,
      windowSeconds: 600,
      selector: { kind: 'all' },
    });
  });

  it('parses tag and device selectors', () => {
    const tags = toRuleInput({ ...emptyRuleForm(), name: 'x', selectorKind: 'tags', tags: 'site=berlin, tier = edge' });
    expect(tags.selector).toEqual({ kind: 'tags', tags: { site: 'berlin', tier: 'edge' } });
    const ids = toRuleInput({ ...emptyRuleForm(), name: 'x', selectorKind: 'devices', deviceIds: 'a, b\nb c' });
    expect(ids.selector).toEqual({ kind: 'devices', deviceIds: ['a', 'b', 'c'] });
  });

  it('an empty threshold is refused by validation, not read as 0', () => {
    expect(ZAlertRuleInput.safeParse(toRuleInput({ ...emptyRuleForm(), name: 'x', threshold: '' })).success).toBe(
      false,
    );
  });

  it('round-trips a stored rule and describes it', () => {
    const stored = {
      kind: 'certificate_expiry',
      name: 'certs',
      severity: 'critical',
      metric: null,
      operator: null,
      threshold: null,
      windowSeconds: 14 * 86_400,
      selector: { kind: 'group', group: 'lab' },
      enabled: false,
    };
    const form = formFromRule(stored);
    expect(form).toMatchObject({ window: '14', windowUnit: 'd', selectorKind: 'group', group: 'lab', enabled: false });
    expect(ZAlertRuleInput.parse(toRuleInput(form))).toMatchObject({ windowSeconds: 14 * 86_400, enabled: false });
    expect(conditionText(stored)).toBe('Certificate expires within 14 d');
    expect(
      conditionText({
        ...stored,
        kind: 'metric',
        metric: 'latency_p95_ms',
        operator: 'gt',
        threshold: 250,
        windowSeconds: 300,
      }),
    ).toBe('Inference latency p95 > 250 ms over 5 min');
  });
});
