import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Site } from '../api/types';

/** /api/site in the page's language, loaded by the app shell (again when the language changes); null until it first arrives. */
export const SiteContext = createContext<Site | null>(null);

export function useSite(): Site | null {
  return useContext(SiteContext);
}

/** The base URL to show when /api/site hasn't answered: this origin's /v1. */
export function apiBase(site: Site | null): string {
  return site?.api_base_url ?? `${location.origin}/v1`;
}
