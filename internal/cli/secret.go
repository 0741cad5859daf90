package cli

import (
	"fmt"
	"os"
	"strings"
)

// Secret returns a token given by the flag -name (value), by the file of
// -name-file (file), or by the environment variable env, in that order. A
// file keeps the token out of the process list, which shows every flag; its
// content is the token, without the line end. It is an error to give both
// the flag and the file, or a file that is empty or cannot be read.
func Secret(name, value, file, env string, getenv func(string) string) (string, error) {
	switch {
	case value != "" && file != "":
		return "", fmt.Errorf("-%s and -%s-file both give the token; keep one (the file keeps it out of the process list)", name, name)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("-%s-file: %v", name, err)
		}
		token := strings.TrimRight(string(b), "\r\n")
		if strings.TrimSpace(token) == "" {
			return "", fmt.Errorf("-%s-file %s is empty; write the token in it", name, file)
		}
		if strings.ContainsAny(token, "\r\n") {
			return "", fmt.Errorf("-%s-file %s holds more than one line; write the token alone in it", name, file)
		}
		return token, nil
	case value != "":
		return value, nil
	}
	return getenv(env), nil
}
