module github.com/pallet-build/buildme

go 1.19
