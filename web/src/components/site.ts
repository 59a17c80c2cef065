import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Site } from '../api/types';

/** /api/site, loaded once by the app shell; null until it arrives (or if it failed). */
export const SiteContext = createContext<Site | null>(null);

export function useSite(): Site | null {
  return useContext(SiteContext);
}

/** The base URL to show when /api/site hasn't answered: this origin's /v1. */
export function apiBase(site: Site | null): string {
  return site?.api_base_url ?? `${location.origin}/v1`;
}
