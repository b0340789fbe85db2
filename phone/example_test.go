package phone_test

import (
	"errors"
	"fmt"

	"twofold/phone"
)

func ExampleParse() {
	n, err := phone.Parse("06 12345678", "NL")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n.E164, n.Region, n.Type)
	// Output: +31612345678 NL mobile
}

func ExampleParse_rejected() {
	_, err := phone.Parse("020 123 4567", "NL")
	var perr *phone.Error
	if errors.As(err, &perr) {
		fmt.Println(perr.Reason, perr.Type)
		fmt.Println(perr.Message("nl"))
	}
	// Output:
	// not-mobile fixed-line
	// +31 20 123 4567 is een vast nummer in Nederland; vul een mobiel nummer in.
}

func ExampleMask() {
	fmt.Println(phone.Mask("+31612345678"))
	fmt.Println(phone.Mask("+447400123456"))
	// Output:
	// +31 6 •••• ••78
	// +44 7400 ••••56
}

func ExampleRegionFromInput() {
	fmt.Println(phone.RegionFromInput("+1 204", "NL"))
	fmt.Println(phone.RegionFromInput("06", "NL"))
	// Output:
	// CA
	// NL
}
