package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"twofold/phone"
	"twofold/storage"
)

// commandLine is the actor name of changes made with these commands.
const commandLine = "command line"

// commandEvent returns an audit event of a change made with a command.
func commandEvent(office *storage.Office, action storage.AuditAction, targetID, targetName, old, new string, at time.Time) storage.AuditEvent {
	return storage.AuditEvent{
		OfficeID: office.ID, ActorName: commandLine, Action: action,
		TargetID: targetID, TargetName: targetName, Old: old, New: new, At: at,
	}
}

// switchTwoFactor sets the office's policy as the settings pages do, with
// its audit event and the users' notices. Setting the policy it already
// has changes nothing.
func switchTwoFactor(ctx context.Context, db storage.Store, o *storage.Office, on bool, now time.Time) (*storage.Office, error) {
	ev := commandEvent(o, storage.AuditTwoFactor, o.ID, o.Code, onOffText(!on), onOffText(on), now)
	switched, err := db.SwitchOfficeTwoFactor(ctx, o.ID, on, ev)
	if errors.Is(err, storage.ErrStale) {
		return db.OfficeByID(ctx, o.ID)
	}
	return switched, err
}

// creationEvents are the audit events of a user created with a command.
func creationEvents(office *storage.Office, u *storage.User) []storage.AuditEvent {
	events := []storage.AuditEvent{commandEvent(office, storage.AuditUserCreate, u.ID, u.Username, "", string(u.Role), u.CreatedAt)}
	if u.Mobile != "" {
		state := " (unconfirmed)"
		if u.MobileConfirmed {
			state = " (confirmed)"
		}
		events = append(events, commandEvent(office, storage.AuditMobile, u.ID, u.Username, "", phone.Mask(u.Mobile)+state, u.CreatedAt))
	}
	return events
}

// auditPage is how many events one query reads.
const auditPage = 500

// audit prints an office's audit events, oldest first.
func (e *environment) audit(args []string) error {
	fs, cfgPath := e.flags("audit")
	officeCode := fs.String("office", "", "`code` of the office whose changes to list")
	asJSON := fs.Bool("json", false, "print the events as a JSON array")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	code := strings.ToUpper(strings.TrimSpace(*officeCode))
	if code == "" {
		return usageError{errors.New("twofold audit needs --office CODE")}
	}
	db, _, err := e.openForCommand(*cfgPath)
	if err != nil {
		return err
	}
	defer db.Close()
	office, err := db.OfficeByCode(e.ctx, code)
	if err != nil {
		return notFound(err, "office "+code)
	}
	var events []storage.AuditEvent
	for before := int64(0); ; {
		page, err := db.ListAudit(e.ctx, office.ID, before, auditPage)
		if err != nil {
			return err
		}
		events = append(events, page...)
		if len(page) < auditPage {
			break
		}
		before = page[len(page)-1].Seq
	}
	for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
		events[i], events[j] = events[j], events[i]
	}
	if *asJSON {
		out := make([]map[string]any, 0, len(events))
		for _, ev := range events {
			out = append(out, map[string]any{
				"at": ev.At.Format(time.RFC3339), "actor_id": ev.ActorID, "actor": ev.ActorName,
				"action": ev.Action, "target_id": ev.TargetID, "target": ev.TargetName, "old": ev.Old, "new": ev.New,
			})
		}
		return e.printJSON(out)
	}
	if len(events) == 0 {
		fmt.Fprintf(e.stdout, "no changes recorded for office %s\n", office.Code)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME (UTC)\tACTOR\tACTION\tTARGET\tOLD\tNEW")
	for _, ev := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ev.At.Format("2006-01-02 15:04:05"), ev.ActorName, ev.Action,
			ev.TargetName, dash(ev.Old), dash(ev.New))
	}
	return tw.Flush()
}

// dash writes an empty value as "-", so columns stay readable.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
