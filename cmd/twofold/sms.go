package main

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"twofold/login"
	"twofold/phone"
	"twofold/smslimit"
	"twofold/storage"
)

// parseCountryList parses --allowed-countries: comma-separated ISO 3166-1
// alpha-2 codes, or "default" for none of the office's own, which returns
// an empty list.
func parseCountryList(raw string) ([]string, error) {
	if strings.EqualFold(strings.TrimSpace(raw), "default") {
		return nil, nil
	}
	var (
		list []string
		bad  []string
	)
	for _, cc := range strings.Split(raw, ",") {
		cc = strings.ToUpper(strings.TrimSpace(cc))
		switch {
		case phone.CallingCode(cc) == 0:
			bad = append(bad, fmt.Sprintf("%q", cc))
		case !slices.Contains(list, cc):
			list = append(list, cc)
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("--allowed-countries: %s is not an ISO 3166-1 alpha-2 country code; give codes such as NL,BE, or default",
			strings.Join(bad, ", "))
	}
	return list, nil
}

// allowedCountries returns the countries office may send codes to, with
// sms.allowed_countries read from the configuration at cfgPath.
func (e *environment) allowedCountries(cfgPath string, db storage.Store, office *storage.Office) ([]string, error) {
	cfg, err := e.loadConfig(cfgPath)
	if err != nil {
		return nil, err
	}
	return smslimit.AllowedCountries(e.ctx, db, office, cfg.SMS.AllowedCountries)
}

// checkMobileCountry returns an error naming the country when codes for
// office cannot be sent to the E.164 number.
func (e *environment) checkMobileCountry(cfgPath string, db storage.Store, office *storage.Office, e164 string) error {
	allowed, err := e.allowedCountries(cfgPath, db, office)
	if err != nil {
		return err
	}
	err = smslimit.CheckNumber(e164, allowed)
	var dest *login.DestinationError
	if !errors.As(err, &dest) {
		return err
	}
	if dest.Country == "" {
		return fmt.Errorf("--mobile: the number's country is unknown, so office %s cannot send SMS codes to it", office.Code)
	}
	country := login.CountryName(dest.Country) + " (" + dest.Country + ")"
	return fmt.Errorf("--mobile: office %s does not send SMS codes to numbers in %s; it allows %s. "+
		"To allow it: twofold office update --code %s --allowed-countries %s",
		office.Code, country, strings.Join(allowed, ", "), office.Code, strings.Join(append(allowed, dest.Country), ","))
}

func (e *environment) sms(args []string) error {
	_, rest, err := subcommand(args, "sms", "stats")
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return err
	}
	fs, cfgPath := e.flags("sms stats")
	officeCode := fs.String("office", "", "show only the office with this `code`")
	since := fs.String("since", "", "count from this UTC `day` (YYYY-MM-DD); default: since statistics began")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	var filter storage.SMSStatsFilter
	if *since != "" {
		day, err := time.Parse(time.DateOnly, *since)
		if err != nil {
			return fmt.Errorf("--since %q must be a date such as 2031-03-04", *since)
		}
		filter.Since = day
	}
	db, _, err := e.openForCommand(*cfgPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if *officeCode != "" {
		c := strings.ToUpper(strings.TrimSpace(*officeCode))
		office, err := db.OfficeByCode(e.ctx, c)
		if err != nil {
			return notFound(err, "office "+c)
		}
		filter.OfficeID = office.ID
	}
	stats, err := db.SMSStats(e.ctx, filter)
	if err != nil {
		return err
	}
	rows := statRows(stats)
	if *asJSON {
		if rows == nil {
			rows = []statRow{}
		}
		return e.printJSON(rows)
	}
	return e.printStats(rows)
}

// statRow is one office and gateway in the output of "sms stats".
type statRow struct {
	Office    string           `json:"office"`
	OfficeID  string           `json:"office_id"`
	Gateway   string           `json:"gateway"`
	Sent      int64            `json:"sent"`
	Failed    int64            `json:"failed"`
	Limited   int64            `json:"limited"`
	LimitedBy map[string]int64 `json:"limited_by,omitempty"`
}

// statRows folds the outcomes of each office and gateway into one row.
// Limited messages have no gateway, so they get a row with gateway "".
func statRows(stats []storage.SMSStat) []statRow {
	var rows []statRow
	index := map[[2]string]int{}
	for _, s := range stats {
		key := [2]string{s.OfficeID, s.Gateway}
		i, ok := index[key]
		if !ok {
			i = len(rows)
			index[key] = i
			rows = append(rows, statRow{Office: cmp.Or(s.OfficeCode, s.OfficeID), OfficeID: s.OfficeID, Gateway: s.Gateway})
		}
		r := &rows[i]
		switch s.Outcome {
		case storage.SMSSent:
			r.Sent += s.Messages
		case storage.SMSFailed:
			r.Failed += s.Messages
		case storage.SMSLimited:
			r.Limited += s.Messages
			if r.LimitedBy == nil {
				r.LimitedBy = map[string]int64{}
			}
			r.LimitedBy[s.Scope] += s.Messages
		}
	}
	return rows
}

func (e *environment) printStats(rows []statRow) error {
	if len(rows) == 0 {
		fmt.Fprintln(e.stdout, "no SMS statistics recorded")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OFFICE\tGATEWAY\tSENT\tFAILED\tLIMITED\tLIMITED BY")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", r.Office, cmp.Or(r.Gateway, "-"), r.Sent, r.Failed, r.Limited, limitedBy(r.LimitedBy))
	}
	return tw.Flush()
}

// limitedBy writes the limited counts per scope, such as "number 3, country 1".
func limitedBy(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	scopes := make([]string, 0, len(m))
	for s := range m {
		scopes = append(scopes, s)
	}
	slices.Sort(scopes)
	parts := make([]string, len(scopes))
	for i, s := range scopes {
		parts[i] = fmt.Sprintf("%s %d", s, m[s])
	}
	return strings.Join(parts, ", ")
}
