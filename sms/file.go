package sms

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// FileRecord is one line of the file that FileSender writes, and the JSON body
// of a webhook request.
type FileRecord struct {
	To     string    `json:"to"`
	Body   string    `json:"body"`
	SentAt time.Time `json:"sent_at"` // RFC 3339, UTC
}

// FileSender sends nothing and appends each message, code included, to a file
// as one JSON object per line (JSON Lines) with the keys "to", "body" and
// "sent_at". Tests read the file with ReadMessageFile to get the codes. Like
// ConsoleSender it is for development and tests only.
//
// Each send opens the file with O_APPEND, creating it with mode 0600, and
// writes the line with a single write call. The kernel positions and writes
// an O_APPEND write as one step on a local file system, so lines from
// concurrent goroutines and from several processes never interleave. That
// guarantee does not hold on NFS.
type FileSender struct {
	path string
	now  func() time.Time
}

// NewFile returns a FileSender that appends to path.
func NewFile(path string) *FileSender {
	return &FileSender{path: path, now: time.Now}
}

// Name returns "file".
func (f *FileSender) Name() string { return "file" }

// Send appends m to the file.
func (f *FileSender) Send(ctx context.Context, m Message) (Receipt, error) {
	if err := validateMessage(m); err != nil {
		return Receipt{}, err
	}
	if err := ctx.Err(); err != nil {
		return Receipt{}, err
	}
	line, err := encodeRecord(FileRecord{To: m.To, Body: m.Body, SentAt: f.now().UTC()})
	if err != nil {
		return Receipt{}, fmt.Errorf("sms: file sender: encoding the message failed: %w", err)
	}
	if err := appendLine(f.path, line); err != nil {
		return Receipt{}, fmt.Errorf("sms: file sender: %w", err)
	}
	return Receipt{Gateway: f.Name(), MessageID: newLocalID()}, nil
}

func appendLine(path string, line []byte) error {
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	n, err := file.Write(line)
	if err == nil && n < len(line) {
		err = io.ErrShortWrite
	}
	if closeErr := file.Close(); err == nil {
		err = closeErr
	}
	return err
}

// encodeRecord returns r as compact JSON with a trailing newline. HTML
// characters stay unescaped so that the file remains readable.
func encodeRecord(r FileRecord) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ReadMessageFile returns the records in a file written by FileSender, oldest first.
// A missing file holds no records.
func ReadMessageFile(path string) ([]FileRecord, error) {
	file, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sms: reading the message file failed: %w", err)
	}
	defer file.Close()

	var records []FileRecord
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for lineNumber := 1; scanner.Scan(); lineNumber++ {
		var r FileRecord
		if err := json.Unmarshal(scanner.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("sms: line %d of the message file is not a message record: %w", lineNumber, err)
		}
		records = append(records, r)
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("sms: reading the message file failed: %w", err)
	}
	return records, nil
}
