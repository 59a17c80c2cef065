// Ready-to-run examples with the operator's base URL filled in. Code is the same in every language.

export type SnippetLang = 'python' | 'node' | 'curl';

const q = (s: string) => JSON.stringify(s);

export function snippet(lang: SnippetLang, opts: { base: string; model: string; stream: boolean }): string {
  const { base, model, stream } = opts;
  if (lang === 'python') {
    const head = `from openai import OpenAI

client = OpenAI(api_key="YOUR_API_KEY", base_url=${q(base)})
`;
    return stream
      ? `${head}
stream = client.chat.completions.create(
    model=${q(model)},
    messages=[{"role": "user", "content": "Hello!"}],
    stream=True,
)
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        print(chunk.choices[0].delta.content, end="", flush=True)
print()
`
      : `${head}
response = client.chat.completions.create(
    model=${q(model)},
    messages=[{"role": "user", "content": "Hello!"}],
)
print(response.choices[0].message.content)
`;
  }
  if (lang === 'node') {
    const head = `import OpenAI from "openai";

const client = new OpenAI({ apiKey: "YOUR_API_KEY", baseURL: ${q(base)} });
`;
    return stream
      ? `${head}
const stream = await client.chat.completions.create({
  model: ${q(model)},
  messages: [{ role: "user", content: "Hello!" }],
  stream: true,
});
for await (const chunk of stream) {
  process.stdout.write(chunk.choices[0]?.delta?.content ?? "");
}
process.stdout.write("\\n");
`
      : `${head}
const response = await client.chat.completions.create({
  model: ${q(model)},
  messages: [{ role: "user", content: "Hello!" }],
});
console.log(response.choices[0].message.content);
`;
  }
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello!' }], ...(stream ? { stream: true } : {}) });
  return `curl ${stream ? '-N ' : ''}${base}/chat/completions \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer YOUR_API_KEY" \\
  -d '${body}'
`;
}

export const INSTALL: Record<SnippetLang, string> = {
  python: 'pip install openai',
  node: 'npm install openai',
  curl: '',
};
