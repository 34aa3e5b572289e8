import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { CliError } from '../context.ts';
import { buildProgram } from '../main.ts';
import { condition, type RuleOptions, ruleInput } from './alert-rules.ts';

const metric: RuleOptions = { name: 'Hot CPU', kind: 'metric', metric: 'cpu_percent', threshold: 90 };

/** The message and exit code of a usage mistake. */
const refusal = (o: RuleOptions) => {
  try {
    ruleInput(o);
  } catch (e) {
    if (e instanceof CliError) return [e.exitCode, e.message];
  }
  return 'accepted';
};

describe('alert rule flags', () => {
  it('builds the API input from the flags, selector included', () => {
    expect(ruleInput({ ...metric, op: 'lt', for: 600, severity: 'critical', tag: { site: 'berlin' } })).toEqual({
      kind: 'metric',
      name: 'Hot CPU',
      metric: 'cpu_percent',
      operator: 'lt',
      threshold: 90,
      windowSeconds: 600,
      severity: 'critical',
      selector: { kind: 'tags', tags: { site: 'berlin' } },
    });
    expect(ruleInput({ name: 'gone', kind: 'device_offline', device: ['a,b', 'c'], disabled: true })).toEqual({
      kind: 'device_offline',
      name: 'gone',
      enabled: false,
      selector: { kind: 'devices', deviceIds: ['a', 'b', 'c'] },
    });
    expect(ruleInput({ name: 'gate', kind: 'rollout_gate' }).selector).toEqual({ kind: 'all' });
  });

  it('refuses contradictions and out-of-range windows as usage errors (exit code 2), naming the flag', () => {
    expect(refusal({ name: 'x', kind: 'metric', metric: 'cpu_percent' })).toEqual([
      2,
      '--kind metric needs --metric and --threshold',
    ]);
    expect(refusal({ name: 'x', kind: 'certificate_expiry', op: 'gt' })).toEqual([
      2,
      '--metric, --op and --threshold are for --kind metric, not certificate_expiry',
    ]);
    expect(refusal({ ...metric, group: 'lab', tag: { a: 'b' } })).toEqual([
      2,
      'choose the devices with at most one of --group, --tag or --device (default: every device)',
    ]);
    expect(refusal({ name: 'x', kind: 'rollout_gate', for: 60 })).toEqual([
      2,
      '--kind rollout_gate watches rollouts: it takes no --for, --group, --tag or --device',
    ]);
    expect(refusal({ ...metric, for: 5 })).toEqual([2, '--for: at least 10s for --kind metric']);
    expect(refusal({ name: 'x', kind: 'device_offline', for: 31 * 86_400 })).toEqual([
      2,
      '--for: at most 30d for --kind device_offline',
    ]);
    expect(refusal({ ...metric, name: '  ' })).toEqual([2, expect.stringMatching(/^--name: /)]);
  });

  it('says what a rule watches for in a few words', () => {
    const base = { metric: null, operator: null, threshold: null };
    expect(
      condition({ kind: 'metric', metric: 'cpu_percent', operator: 'gt', threshold: 90, windowSeconds: 300 }),
    ).toBe('cpu_percent > 90 for 5m');
    expect(condition({ ...base, kind: 'device_offline', windowSeconds: 600 })).toBe('offline > 10m');
    expect(condition({ ...base, kind: 'certificate_expiry', windowSeconds: 14 * 86_400 })).toBe(
      'certificate expires within 14d',
    );
  });

  it('gives every alerts, health and diagnostics command a description and help', () => {
    const program = buildProgram(['node', 'edgefleet', 'alerts']);
    const find = (parent: Command, name: string) => {
      const c = parent.commands.find((x) => x.name() === name);
      if (!c) throw new Error(`no command ${name}`);
      return c;
    };
    const alerts = find(program, 'alerts');
    expect(alerts.commands.map((c) => c.name()).sort()).toEqual(['ack', 'list', 'rules', 'webhooks']);
    const leaves = [
      ...alerts.commands.filter((c) => c.commands.length === 0),
      ...find(alerts, 'rules').commands,
      ...find(alerts, 'webhooks').commands,
      find(find(program, 'devices'), 'diagnostics'),
      find(program, 'health'),
    ];
    expect(find(alerts, 'rules').commands.map((c) => c.name())).toEqual(['list', 'create', 'enable', 'disable', 'rm']);
    expect(find(alerts, 'webhooks').commands.map((c) => c.name())).toEqual(['list', 'create', 'test', 'rm']);
    for (const c of leaves) {
      expect(c.description(), c.name()).toBeTruthy();
      expect(c.helpInformation()).toMatch(/Usage: edgefleet \w+/);
    }
  });
});
