/** Prometheus metrics for GET /metrics. (Being built.) */
export function createMetrics() {
  return {
    render: (): string => '',
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
