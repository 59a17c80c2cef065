// Rebuilds chat-completion-schemas.yaml from OpenAI's whole OpenAPI document:
//   bun test/contracts/openai/extract.ts path/to/openapi.yaml > test/contracts/openai/chat-completion-schemas.yaml
// Each listed components/schemas block is copied line for line, in the order the document has
// them, minus its `x-oaiMeta` block (documentation metadata whose examples alias anchors in the
// paths section, so the excerpt would not parse with it). Nothing else is changed.

const SOURCE_COMMIT = '578000861507cd19620e3f1092adf62303757c0a';
const WANTED = new Set([
  'ChatCompletionMessageToolCalls',
  'ChatCompletionMessageToolCall',
  'ChatCompletionMessageToolCallChunk',
  'ChatCompletionResponseMessage',
  'ChatCompletionStreamResponseDelta',
  'CreateChatCompletionResponse',
  'ChatCompletionTokenLogprob',
  'CreateChatCompletionStreamResponse',
  'CompletionUsage',
]);

export function extract(documentText: string): string {
  const lines = documentText.split('\n');
  const start = lines.indexOf('    schemas:', lines.indexOf('components:'));
  if (start < 0) throw new Error('no components/schemas in this document');
  const blocks: string[][] = [];
  let current: string[] | null = null;
  let inMeta = false;
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line) || /^ {4}\S/.test(line)) break; // the end of components/schemas
    const name = /^ {8}([A-Za-z0-9_]+):\s*$/.exec(line);
    if (name || /^ {8}#/.test(line)) {
      current = name && WANTED.has(name[1] as string) ? [line] : null;
      if (current) blocks.push(current);
      inMeta = false;
      continue;
    }
    if (!current) continue;
    if (line === '            x-oaiMeta:') {
      inMeta = true;
      continue;
    }
    if (inMeta && (line.startsWith('                ') || line.trim() === '')) continue;
    inMeta = false;
    current.push(line);
  }
  const found = blocks.map((b) => (b[0] as string).trim().slice(0, -1));
  const missing = [...WANTED].filter((n) => !found.includes(n));
  if (missing.length > 0) throw new Error(`not in this document: ${missing.join(', ')}`);
  const body = blocks.map((b) => b.join('\n').trimEnd()).join('\n\n');
  return [
    `# Extracted from openai/openai-openapi, openapi.yaml at commit ${SOURCE_COMMIT}`,
    '# (info.version "2.3.0"): the components/schemas blocks below, copied verbatim and in document order',
    '# by extract.ts, without their x-oaiMeta blocks (documentation metadata whose examples alias anchors',
    '# in the paths section). See README.md in this folder.',
    'components:',
    '    schemas:',
    body,
    '',
  ].join('\n');
}

if (import.meta.main) {
  const path = process.argv[2];
  if (!path) {
    console.error('usage: bun test/contracts/openai/extract.ts path/to/openapi.yaml');
    process.exit(2);
  }
  process.stdout.write(extract(await Bun.file(path).text()));
}
