package rolloutotel

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/rollout-go/rollout"

	"github.com/rollout-go/rollout/controller"
)

// OnStep records one step; set it as controller.RunnerConfig.OnStep (or call
// it from yours).
func (in *Instruments) OnStep(r controller.StepReport) {
	ctx := context.Background()
	job := attribute.String("job", r.JobID)
	in.steps.Add(ctx, 1, metric.WithAttributes(job))
	in.stepDuration.Record(ctx, r.Duration.Seconds(), metric.WithAttributes(job))
	out := &r.Output
	for _, k := range []struct {
		kind string
		n    int
	}{{"stop", len(out.Stop)}, {"place", len(out.Place)}, {"in-place", len(out.InPlace)}, {"health", len(out.Health)}} {
		if k.n > 0 {
			in.decisions.Add(ctx, int64(k.n), metric.WithAttributes(job, attribute.String("kind", k.kind)))
		}
	}
	if c := out.Cancelled; c != nil {
		in.deployments.Add(ctx, 1, metric.WithAttributes(job, attribute.String("status", string(c.Status))))
	}
	if d := out.Deployment; d != nil {
		prev := r.Input.Deployment
		if prev == nil || prev.ID != d.ID || prev.Status != d.Status {
			in.deployments.Add(ctx, 1, metric.WithAttributes(job, attribute.String("status", string(d.Status))))
		}
		for i := range d.Groups {
			g := &d.Groups[i]
			attrs := metric.WithAttributes(job, attribute.String("group", g.Name))
			in.desired.Record(ctx, int64(g.DesiredTotal), attrs)
			in.healthy.Record(ctx, int64(g.Healthy), attrs)
		}
	}

	_, span := in.tracer.Start(ctx, "rollout.step", trace.WithTimestamp(r.Start), trace.WithAttributes(
		job,
		attribute.Int("rollout.stop", len(out.Stop)),
		attribute.Int("rollout.place", len(out.Place)),
		attribute.Int("rollout.in_place", len(out.InPlace)),
		attribute.Int("rollout.health", len(out.Health)),
		attribute.Int("rollout.apply_attempts", r.Attempts),
		attribute.Int64("rollout.revision", int64(r.Revision)),
	))
	if d := out.Deployment; d != nil {
		span.SetAttributes(attribute.String("rollout.deployment", d.ID), attribute.String("rollout.deployment.status", string(d.Status)))
		if d.Status == rollout.StatusFailed {
			span.SetStatus(codes.Error, d.Description)
		}
	}
	for _, t := range out.Transitions {
		span.AddEvent(string(t.Kind), trace.WithTimestamp(r.Start), trace.WithAttributes(attribute.String("reason", t.Reason)))
	}
	span.End(trace.WithTimestamp(r.Start.Add(r.Duration)))
}
