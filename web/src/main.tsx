import { render } from 'preact';
import { App } from './app';
import { HTML_LANG, initialLang } from './i18n';
import { startRouter } from './lib/router';
import './styles.css';

const lang = initialLang();
document.documentElement.lang = HTML_LANG[lang];
startRouter();
const root = document.getElementById('app');
if (root) render(<App initialLang={lang} />, root);
