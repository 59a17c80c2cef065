CREATE TABLE "tool_prices" (
	"tool" text NOT NULL,
	"model_id" text NOT NULL,
	"peak_call_nano" bigint NOT NULL,
	"off_peak_call_nano" bigint NOT NULL,
	"max_calls" integer NOT NULL,
	"updated_at" bigint DEFAULT (floor(extract(epoch from now()) * 1000))::bigint NOT NULL,
	CONSTRAINT "tool_prices_tool_model_id_pk" PRIMARY KEY("tool","model_id")
);
--> statement-breakpoint
ALTER TABLE "ledger" ADD COLUMN "web_search_calls" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger" ADD COLUMN "read_url_calls" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger" ADD COLUMN "file_parse_calls" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger" ADD COLUMN "server_tool_cost_nano" bigint DEFAULT 0 NOT NULL;