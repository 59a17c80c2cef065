import type { ModelList } from '../api/types';

/** What every guide content file (web/src/content/{lang}/*.tsx) receives. */
export interface GuideProps {
  /** the API base URL, ending in /v1 */
  base: string;
  /** the same without /v1, for apps that add it themselves */
  origin: string;
  siteName: string;
  support: string;
  /** the first public model, for examples */
  model: string;
  models: ModelList | null;
}
