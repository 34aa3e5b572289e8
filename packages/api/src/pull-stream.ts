/**
 * A web ReadableStream that reads its source only when the consumer asks (highWaterMark 0).
 * Node 20's Readable.toWeb reads ahead without backpressure, so a slow client downloading a
 * 2 GB artifact would pull the whole file into memory; this never holds more than one chunk.
 */
export function pullStream(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await it.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel() {
        await it.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}
