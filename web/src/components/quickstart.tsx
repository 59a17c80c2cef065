import { useI18n } from '../i18n';
import { INSTALL, snippet, type SnippetLang } from '../lib/snippets';
import { CodeBlock, Tabs } from './ui';

const TABS: { id: SnippetLang; title: string }[] = [
  { id: 'python', title: 'Python' },
  { id: 'node', title: 'Node.js' },
  { id: 'curl', title: 'curl' },
];

/** Python / Node.js / curl, each as a whole reply and as a stream, with copy buttons. */
export function QuickStartTabs(props: { base: string; model: string; idPrefix?: string }) {
  const { t } = useI18n();
  return (
    <Tabs
      label={t.home.tabsLabel}
      idPrefix={props.idPrefix ?? 'qs'}
      tabs={TABS.map((tab) => ({
        id: tab.id,
        title: tab.title,
        render: () => (
          <>
            {INSTALL[tab.id] && <CodeBlock code={INSTALL[tab.id]} label={`${tab.title}: ${t.home.install}`} />}
            <h4>{t.home.nonStream}</h4>
            <CodeBlock code={snippet(tab.id, { base: props.base, model: props.model, stream: false })} label={`${tab.title}: ${t.home.nonStream}`} />
            <h4>{t.home.stream}</h4>
            <CodeBlock code={snippet(tab.id, { base: props.base, model: props.model, stream: true })} label={`${tab.title}: ${t.home.stream}`} />
          </>
        ),
      }))}
    />
  );
}
