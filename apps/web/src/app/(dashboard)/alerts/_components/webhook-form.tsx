'use client';

import { ALERT_SEVERITIES, type TAlertSeverity, WEBHOOK_FORMATS } from '@edgefleet/protocol/health';
import { useMutation } from '@tanstack/react-query';
import { Plus } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Alert } from '@/components/alert';
import { inputStyles } from '@/components/button';
import { Card, CardHeader } from '@/components/card';
import { OneTimeSecret } from '@/components/one-time-secret';
import { SubmitButton } from '@/components/submit-button';
import { Field, TextField } from '@/components/text-field';
import { useTRPC } from '@/lib/trpc';

const FORMAT_LABEL: Record<(typeof WEBHOOK_FORMATS)[number], string> = {
  json: 'EdgeFleet JSON (signed)',
  slack: 'Slack incoming webhook',
  teams: 'Microsoft Teams incoming webhook',
};

export function WebhookForm({ onCreated }: { onCreated: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [format, setFormat] = useState<(typeof WEBHOOK_FORMATS)[number]>('json');
  const [minSeverity, setMinSeverity] = useState<TAlertSeverity>('warning');
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const create = useMutation(
    trpc.alerts.webhooks.create.mutationOptions({
      onSuccess: (res) => {
        setCreated({ name: res.webhook.name, secret: res.signingSecret });
        setName('');
        setUrl('');
        onCreated();
      },
    }),
  );

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    setCreated(null);
    create.mutate({ name, url, format, minSeverity });
  }

  return (
    <Card>
      <CardHeader
        title="Add a webhook"
        description="Each alert that fires, is acknowledged or resolves is POSTed here, retried with backoff for almost three hours if the receiver fails."
      />
      {created ? (
        <div className="border-b border-slate-200 px-5 py-4">
          {/* The signing secret: stored sealed, so this is the one time anyone sees it. */}
          <OneTimeSecret
            title={<>Webhook “{created.name}” created — copy its signing secret now</>}
            description={
              <>
                Every request carries <code className="font-mono">x-edgefleet-signature: sha256=…</code>, the
                HMAC-SHA256 of the body with this secret. It won’t be shown again; to change it, delete the webhook and
                create it anew.
              </>
            }
            secret={created.secret}
            copyLabel="Copy signing secret"
            testId="webhook-secret"
            onDismiss={() => setCreated(null)}
          />
        </div>
      ) : null}
      <form onSubmit={onSubmit} className="space-y-5 px-5 py-5" data-testid="webhook-form">
        {create.error ? (
          <Alert tone="error" data-testid="webhook-form-error">
            {create.error.message}
          </Alert>
        ) : null}
        <div className="grid gap-4 sm:grid-cols-4">
          <TextField
            id="webhook-name"
            label="Name"
            required
            maxLength={120}
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. On-call"
          />
          <TextField
            id="webhook-url"
            label="URL"
            fieldClassName="sm:col-span-3"
            type="url"
            required
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="https://hooks.example.com/edgefleet"
            className="font-mono"
          />
        </div>
        <div className="grid gap-4 sm:grid-cols-4">
          <Field id="webhook-format" label="Format" fieldClassName="sm:col-span-2">
            <select
              id="webhook-format"
              value={format}
              onChange={(e) => setFormat(e.target.value as typeof format)}
              className={inputStyles}
            >
              {WEBHOOK_FORMATS.map((f) => (
                <option key={f} value={f}>
                  {FORMAT_LABEL[f]}
                </option>
              ))}
            </select>
          </Field>
          <Field id="webhook-severity" label="Send alerts at or above">
            <select
              id="webhook-severity"
              value={minSeverity}
              onChange={(e) => setMinSeverity(e.target.value as TAlertSeverity)}
              className={inputStyles}
            >
              {ALERT_SEVERITIES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </Field>
          <div className="flex items-end justify-end">
            <SubmitButton icon={Plus} pending={create.isPending} busyLabel="Adding…">
              Add webhook
            </SubmitButton>
          </div>
        </div>
      </form>
    </Card>
  );
}
