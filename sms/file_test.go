package sms

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFileSenderWritesRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms.jsonl")
	sender := NewFile(path)
	sentAt := time.Date(2026, 3, 1, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	sender.now = func() time.Time { return sentAt }

	receipt, err := sender.Send(context.Background(), testMessage())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if receipt.Gateway != "file" || receipt.MessageID == "" {
		t.Errorf("receipt = %+v, want gateway file and an id", receipt)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.ReplaceAll(testMessage().Body, "\n", `\n`)
	want := `{"to":"+31612345678","body":"` + body + `","sent_at":"2026-03-01T08:00:00Z"}` + "\n"
	if string(data) != want {
		t.Errorf("file =\n%s\nwant\n%s", data, want)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("file mode = %v, want 0600", perm)
	}
	records, err := ReadMessageFile(path)
	if err != nil {
		t.Fatalf("ReadMessageFile: %v", err)
	}
	if len(records) != 1 || records[0].To != testNumber || !records[0].SentAt.Equal(sentAt) {
		t.Errorf("records = %+v, want the one message", records)
	}
	if _, code, ok := ParseOneTimeCode(records[0].Body); !ok || code != testCode {
		t.Errorf("code from file = %q, %v; want %s", code, ok, testCode)
	}
}

func TestReadMessageFileMissing(t *testing.T) {
	records, err := ReadMessageFile(filepath.Join(t.TempDir(), "none.jsonl"))
	if err != nil || records != nil {
		t.Errorf("ReadMessageFile = %v, %v; want no records and no error", records, err)
	}
}

// writerProcessEnv makes the test binary act as a separate process that
// appends lines, for TestFileSenderConcurrentWriters.
const writerProcessEnv = "SMS_TEST_FILE_WRITER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(writerProcessEnv); spec != "" {
		os.Exit(runWriterProcess(spec))
	}
	os.Exit(m.Run())
}

// runWriterProcess appends count messages for writer to path; spec is
// "path|writer|count".
func runWriterProcess(spec string) int {
	parts := strings.Split(spec, "|")
	count, _ := strconv.Atoi(parts[2])
	sender := NewFile(parts[0])
	for i := range count {
		if _, err := sender.Send(context.Background(), fileTestMessage(parts[1], i)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// fileTestMessage returns a long body that identifies its writer and index,
// so that an interleaved line would break the JSON or the body pattern.
func fileTestMessage(writer string, i int) Message {
	marker := fmt.Sprintf("[%s-%d]", writer, i)
	return Message{To: testNumber, Body: marker + strings.Repeat("x", 1400) + marker}
}

func TestFileSenderConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms.jsonl")
	const goroutines, processes, perWriter = 8, 3, 60

	var cmds []*exec.Cmd
	for p := range processes {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|p%d|%d", writerProcessEnv, path, p, perWriter))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting writer process: %v", err)
		}
		cmds = append(cmds, cmd)
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			sender := NewFile(path)
			for i := range perWriter {
				if _, err := sender.Send(context.Background(), fileTestMessage(fmt.Sprintf("g%d", g), i)); err != nil {
					t.Errorf("Send: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer process: %v", err)
		}
	}

	records, err := ReadMessageFile(path)
	if err != nil {
		t.Fatalf("ReadMessageFile (an interleaved line would not decode): %v", err)
	}
	if want := (goroutines + processes) * perWriter; len(records) != want {
		t.Fatalf("records = %d, want %d", len(records), want)
	}
	seen := make(map[string]bool)
	for _, r := range records {
		end := strings.IndexByte(r.Body, ']')
		marker := r.Body[:end+1]
		if want := marker + strings.Repeat("x", 1400) + marker; r.Body != want {
			t.Fatalf("body of %s is damaged", marker)
		}
		if seen[marker] {
			t.Errorf("message %s appears twice", marker)
		}
		seen[marker] = true
	}
}

func TestFileSenderRejectsInvalidMessage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms.jsonl")
	_, err := NewFile(path).Send(context.Background(), Message{To: "0612345678", Body: "hi"})
	if err == nil {
		t.Fatal("Send accepted a national number")
	}
	if _, statErr := os.Stat(path); !os.IsNotExist(statErr) {
		t.Errorf("the file was created for an invalid message")
	}
}
