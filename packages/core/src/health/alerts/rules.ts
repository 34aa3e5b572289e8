import { randomBytes } from 'node:crypto';
import type { Db, Prisma } from '@edgefleet/db/client';
import { type TAlertRule, type TAlertRuleInput, ZAlertRuleInput } from '@edgefleet/protocol/health';
import type { Principal } from '../../access.ts';
import { DomainError } from '../../errors.ts';
import { parseOrInvalid } from '../../identity/refusals.ts';
import { auditRefusal, auditSuccess } from '../../rollouts/events.ts';
import { validatedSelectorCondition } from './selector.ts';

/**
 * Alert rules: operator-written (validated with ZAlertRuleInput, every change audited) and three
 * built-in ones created on first use, which can be edited and disabled but not deleted.
 */

export interface AlertDeps {
  db: Db;
  now?: () => Date;
}

const ruleSelect = {
  id: true,
  name: true,
  kind: true,
  metric: true,
  operator: true,
  threshold: true,
  windowSeconds: true,
  severity: true,
  selector: true,
  enabled: true,
  builtIn: true,
  createdBy: true,
  createdAt: true,
  updatedAt: true,
} as const satisfies Prisma.AlertRuleSelect;

export type AlertRule = Prisma.AlertRuleGetPayload<{ select: typeof ruleSelect }>;

export const newRuleId = () => `rule_${randomBytes(8).toString('hex')}`;

/** Fixed ids, so creating them is idempotent (and race-free) on every call. */
export const BUILT_IN_RULES: Array<{ id: string } & TAlertRule> = [
  {
    id: 'rule_builtin_device_offline',
    kind: 'device_offline',
    name: 'Device offline for more than 10 minutes',
    severity: 'warning',
    selector: { kind: 'all' },
    enabled: true,
    windowSeconds: 600,
  },
  {
    id: 'rule_builtin_certificate_expiry',
    kind: 'certificate_expiry',
    name: 'Device certificate expires within 14 days',
    severity: 'warning',
    selector: { kind: 'all' },
    enabled: true,
    windowSeconds: 14 * 86_400,
  },
  {
    id: 'rule_builtin_rollout_gate',
    kind: 'rollout_gate',
    name: 'Rollout gate tripped',
    severity: 'critical',
    selector: { kind: 'all' },
    enabled: true,
    windowSeconds: 0,
  },
];

export async function ensureDefaultRules(db: Db): Promise<void> {
  await db.alertRule.createMany({
    data: BUILT_IN_RULES.map((r) => ({ ...columns(r), id: r.id, builtIn: true })),
    skipDuplicates: true,
  });
}

function columns(rule: TAlertRule) {
  const metric = rule.kind === 'metric' ? rule : null;
  return {
    name: rule.name,
    kind: rule.kind,
    metric: metric?.metric ?? null,
    operator: metric?.operator ?? null,
    threshold: metric?.threshold ?? null,
    windowSeconds: rule.windowSeconds,
    severity: rule.severity,
    selector: rule.selector as Prisma.InputJsonValue,
    enabled: rule.enabled,
  };
}

export async function listRules(db: Db): Promise<AlertRule[]> {
  await ensureDefaultRules(db);
  return db.alertRule.findMany({ select: ruleSelect, orderBy: [{ builtIn: 'desc' }, { createdAt: 'asc' }] });
}

async function parseRule(db: Db, input: TAlertRuleInput): Promise<TAlertRule> {
  const rule = parseOrInvalid(ZAlertRuleInput, input);
  // Refuses unknown groups and device ids now, while the operator can fix them.
  if (rule.kind !== 'rollout_gate') await validatedSelectorCondition(db, rule.selector);
  return rule;
}

export async function createRule(deps: AlertDeps, principal: Principal, input: TAlertRuleInput): Promise<AlertRule> {
  const { db } = deps;
  const id = newRuleId();
  const audit = { actor: principal, action: 'alert_rule.create', target: { type: 'alert_rule', id } };
  return auditRefusal(db, { ...audit, detail: { input } }, async () => {
    const rule = await parseRule(db, input);
    const created = await db.alertRule.create({
      data: { ...columns(rule), id, createdBy: principal.email },
      select: ruleSelect,
    });
    await auditSuccess(db, { ...audit, detail: { rule } });
    return created;
  });
}

async function existing(db: Db, id: string) {
  const rule = await db.alertRule.findUnique({ where: { id }, select: ruleSelect });
  if (!rule) throw new DomainError('NOT_FOUND', `No alert rule ${id}`);
  return rule;
}

/** Replaces a rule's definition; a built-in rule keeps its kind. */
export async function updateRule(
  deps: AlertDeps,
  principal: Principal,
  id: string,
  input: TAlertRuleInput,
): Promise<AlertRule> {
  const { db } = deps;
  const audit = { actor: principal, action: 'alert_rule.update', target: { type: 'alert_rule', id } };
  return auditRefusal(db, { ...audit, detail: { input } }, async () => {
    const before = await existing(db, id);
    const rule = await parseRule(db, input);
    if (before.builtIn && rule.kind !== before.kind) {
      throw new DomainError(
        'INVALID',
        `The built-in rule "${before.name}" watches ${before.kind}; its kind cannot change`,
      );
    }
    const updated = await db.alertRule.update({ where: { id }, data: columns(rule), select: ruleSelect });
    await auditSuccess(db, { ...audit, detail: { rule } });
    return updated;
  });
}

/** Disabling a rule resolves its open alerts at the next evaluation. */
export async function setRuleEnabled(
  deps: AlertDeps,
  principal: Principal,
  id: string,
  enabled: boolean,
): Promise<AlertRule> {
  const { db } = deps;
  const audit = {
    actor: principal,
    action: enabled ? 'alert_rule.enable' : 'alert_rule.disable',
    target: { type: 'alert_rule', id },
  };
  return auditRefusal(db, audit, async () => {
    await existing(db, id);
    const updated = await db.alertRule.update({ where: { id }, data: { enabled }, select: ruleSelect });
    await auditSuccess(db, audit);
    return updated;
  });
}

/** Deletes a rule and its alert history; built-in rules can only be disabled. */
export async function deleteRule(deps: AlertDeps, principal: Principal, id: string): Promise<{ id: string }> {
  const { db } = deps;
  const audit = { actor: principal, action: 'alert_rule.delete', target: { type: 'alert_rule', id } };
  return auditRefusal(db, audit, async () => {
    const rule = await existing(db, id);
    if (rule.builtIn) throw new DomainError('CONFLICT', `"${rule.name}" is built in: disable it instead`);
    await db.alertRule.delete({ where: { id } });
    await auditSuccess(db, { ...audit, detail: { name: rule.name, kind: rule.kind } });
    return { id };
  });
}
