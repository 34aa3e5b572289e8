import { redirect } from 'next/navigation';
import { getCaller } from '@/server/caller';

export default async function Home() {
  const { principal } = await getCaller();
  redirect(principal ? '/devices' : '/sign-in');
}
