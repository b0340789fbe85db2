package sqldb

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// micros converts t to the stored form: unix microseconds. The zero
// time.Time is stored as its own (large negative) value, not as 0, so it
// reads back as the zero time and never as 1970.
func micros(t time.Time) int64 {
	return t.UnixMicro()
}

// fromMicros converts a stored time back, in UTC.
func fromMicros(v int64) time.Time {
	t := time.UnixMicro(v).UTC()
	if t.IsZero() {
		return time.Time{}
	}
	return t
}

// nullMicros converts an optional time: nil is stored as NULL.
func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return micros(*t)
}

// fromNullMicros converts an optional stored time back: NULL is nil.
func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// encodeList converts a string list to its stored JSON array. An empty or
// nil list is stored as "[]".
func encodeList(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, err := json.Marshal(list)
	if err != nil {
		// json.Marshal fails only on types that cannot be encoded, and a
		// []string always can.
		panic(fmt.Sprintf("sqldb: encode string list: %v", err))
	}
	return string(b)
}

// decodeList converts a stored JSON array back. An empty array is nil.
func decodeList(column, s string) ([]string, error) {
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("sqldb: column %s: invalid JSON string array: %w", column, err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	return list, nil
}

// listDecoder decodes the JSON arrays of one row and keeps the first error,
// so a scan function can decode every column before checking once.
type listDecoder struct {
	err error
}

func (d *listDecoder) decode(column, raw string) []string {
	list, err := decodeList(column, raw)
	if err != nil && d.err == nil {
		d.err = err
	}
	return list
}

// nullBytes converts a byte string to a bind value: an empty one is NULL,
// so that "IS NULL" guards treat nil and empty alike.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// nullInt converts an optional integer: nil is stored as NULL.
func nullInt(v *int64) any {
	if v == nil {
		return nil
	}
	return *v
}

// fromNullInt converts an optional stored integer back: NULL is nil.
func fromNullInt(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	n := v.Int64
	return &n
}
