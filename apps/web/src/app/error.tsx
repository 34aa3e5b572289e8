'use client';

import { ErrorPanel } from '@/components/error-panel';

export default function RootError({ error, retry }: { error: unknown; retry: () => void }) {
  return (
    <main className="mx-auto flex min-h-screen max-w-lg items-center px-4">
      <div className="w-full">
        <ErrorPanel error={error} retry={retry} />
      </div>
    </main>
  );
}
