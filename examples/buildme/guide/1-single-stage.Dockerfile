# syntax=docker/dockerfile:1
# The guide's first Dockerfile. Its ENV GO111MODULE/GOPROXY lines are left out: Go 1.19
# has modules on by default and the example has no dependencies to fetch.
FROM golang:1.19-bookworm
WORKDIR /src
COPY . .
RUN go mod download
RUN go build -o /bin/client ./cmd/client
RUN go build -o /bin/server ./cmd/server
ENTRYPOINT [ "/bin/server" ]
