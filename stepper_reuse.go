package rollout

// A Stepper is Step for a caller that steps one input after another and is
// done with each Output before the next call, as a scheduler's loop is: it
// keeps the memory of its last Output's lists of stops, placements,
// in-place updates and health updates, and builds the next Output in it.
// A step then allocates only its new names and IDs (a destructive update
// otherwise allocates about 350 bytes: its placement and its stop), and
// the garbage collector runs far less often.
//
// The Output of Stepper.Step is exactly Step's, but its Stop, Place,
// InPlace and Health are valid only until the next call on the same
// Stepper, which overwrites them: copy what must outlive it (copying an
// element is enough; the strings in it are never overwritten). Decisions,
// Apply and Reasons can be used on it before the next call.
//
// The zero Stepper is ready to use. A Stepper is not safe for concurrent
// use; Step is.
type Stepper struct {
	stop    []StopDecision
	place   []Placement
	inPlace []InPlaceUpdate
	health  []HealthUpdate
}

// Step is Step, building the Output in the memory of the previous one (see
// Stepper).
func (st *Stepper) Step(in Input) (Output, error) {
	if in.Job.Type == JobSystem {
		return stepSystem(in) // its output is built from another step's
	}
	return stepCore(in, false, st)
}

// lend gives a step's output the Stepper's lists, emptied.
func (st *Stepper) lend(out *Output) {
	out.Stop, out.Place, out.InPlace, out.Health = st.stop[:0], st.place[:0], st.inPlace[:0], st.health[:0]
}

// keep takes back the lists of a step's output, and leaves an empty list
// nil in it, as Step returns it.
func (st *Stepper) keep(out *Output) {
	st.stop, st.place, st.inPlace, st.health = keepList(&out.Stop), keepList(&out.Place), keepList(&out.InPlace), keepList(&out.Health)
}

// keepList returns the list's memory, for the next step, and leaves an
// empty list nil.
func keepList[T any](list *[]T) []T {
	mem := *list
	if len(mem) == 0 {
		*list = nil
	}
	return mem
}
