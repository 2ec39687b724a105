# SPDX-License-Identifier: MIT
# The guest's own drivers on the emulated sensor, ADC, GPIO and RTC models
# (issue 13): guest 0 has all of them but the DS3231 on its bus, guest 1 (at
# the same time) the DS3231 on a bus of its own. Each client is instantiated
# with new_device and the value the host set at start (-e ...,NAME=VALUE, in
# /e2e/params) is read back through the driver's sysfs interface.

bus=$(vi2c_bus) || {
	fail "no virtio-i2c adapter appeared"
	finish
	exit
}

# Instantiates MODEL at ADDR and checks that DRIVER bound to it.
bind() { # DRIVER-MODULE MODEL ADDR DRIVER
	local dir
	dir=$(client_dir "$bus" "$3")
	check_ok "modprobe $1" modprobe "$1" || return 1
	new_client "$bus" "$2" "$3"
	check_eq "$2 at $3: bound to $4" "$4" "$(basename "$(readlink "$dir/driver")" 2>/dev/null)"
}

# The first file matching a glob under the client's directory.
client_file() { # ADDR GLOB
	local f
	for f in $(client_dir "$bus" "$1")/$2; do
		[ -e "$f" ] && echo "$f" && return 0
	done
	return 1
}

# |ACTUAL - EXPECTED| <= TOLERANCE (decimal numbers).
check_near() { # WHAT EXPECTED TOLERANCE ACTUAL
	if [ -n "$4" ] && awk -v e="$2" -v t="$3" -v a="$4" \
		'BEGIN { d = a - e; if (d < 0) d = -d; exit !(d <= t) }'; then
		pass "$1 ($4, expected $2 +- $3)"
	else
		fail "$1: expected $2 +- $3, got '$4'"
	fi
}

# Reads a sysfs attribute, retrying while the driver is not ready (tmp102
# answers EAGAIN until its first conversion time has passed).
read_attr() { # FILE
	local i=0 v
	while [ $i -lt 20 ]; do
		v=$(cat "$1" 2>/dev/null) && echo "$v" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# --- RTC (rtc-ds1307, built out of tree): the clock runs at host time + offset ---
rtc_check() { # MODEL OFFSET
	local rtc dev now
	bind rtc-ds1307 "$1" 0x68 rtc-ds1307 || return
	rtc=$(client_file 0x68 'rtc/rtc*')
	if [ -z "$rtc" ]; then
		fail "$1: no rtc device"
		return
	fi
	dev=/dev/${rtc##*/}
	# The host's time: QEMU's CMOS RTC (rtc_cmos) follows the host clock. The
	# guest's system clock may drift from it on a busy host (TCG).
	now=$(for c in /sys/class/rtc/rtc*; do
		case $(cat "$c/name" 2>/dev/null) in
		rtc_cmos*) cat "$c/since_epoch" ;;
		esac
	done)
	check_near "$1: since_epoch = host time + offset" $((now + $2)) 2 "$(cat "$rtc/since_epoch")"
	# hwclock -r prints e.g. "Sun Nov 29 21:51:45 2026  0.000000 seconds"
	if run hwclock -r -u -f "$dev"; then
		check_near "$1: hwclock -r = host time + offset" $((now + $2)) 2 \
			"$(date -u -D '%a %b %d %H:%M:%S %Y' -d "$(echo "$OUT" | cut -d' ' -f1-5)" +%s)"
	else
		fail "$1: hwclock -r failed"
	fi
	# hwclock -w: the driver writes the system time; the clock then runs from it.
	check_ok "$1: hwclock -w -u -f $dev" hwclock -w -u -f "$dev"
	sleep 1
	check_near "$1: since_epoch after hwclock -w" "$(date +%s)" 2 "$(cat "$rtc/since_epoch")"
	check_ok "$1: hwclock -r -u -f $dev" hwclock -r -u -f "$dev"
}

# The second guest has a bus of its own with the DS3231 (the same address as
# the first guest's DS1307).
if [ "$VM_INDEX" = 1 ]; then
	check_eq "i2cdetect shows exactly the configured addresses" 0x68 "$(detect_map "$bus")"
	rtc_check ds3231 "$RTC3231_OFFSET"
	# the driver's hwmon side reads the DS3231's temperature registers
	check_eq "ds3231: temp1_input" 25000 "$(read_attr "$(client_file 0x68 'hwmon/hwmon*/temp1_input')")"
	finish
	exit
fi
check_eq "i2cdetect shows exactly the configured addresses" "$EXPECT_MAP" "$(detect_map "$bus")"

# --- hwmon sensors ---
bind tmp102 tmp102 0x48 tmp102 &&
	check_eq "tmp102: temp1_input" "$TMP102_MC" "$(read_attr "$(client_file 0x48 'hwmon/hwmon*/temp1_input')")"
bind jc42 jc42 0x18 jc42 &&
	check_eq "jc42: temp1_input" "$JC42_MC" "$(read_attr "$(client_file 0x18 'hwmon/hwmon*/temp1_input')")"
if bind sht3x sht3x 0x44 sht3x; then
	check_near "sht3x: temp1_input" "$SHT3X_MC" 50 "$(read_attr "$(client_file 0x44 'hwmon/hwmon*/temp1_input')")"
	check_near "sht3x: humidity1_input" "$SHT3X_MRH" 50 "$(read_attr "$(client_file 0x44 'hwmon/hwmon*/humidity1_input')")"
	# limits read at probe: the chip's defaults, high set 60 C / 80 %RH
	check_near "sht3x: temp1_max (alert limit at reset)" 60000 200 "$(read_attr "$(client_file 0x44 'hwmon/hwmon*/temp1_max')")"
	# a second measurement right after the first: the driver waits the measurement time again
	check_near "sht3x: temp1_input again" "$SHT3X_MC" 50 "$(read_attr "$(client_file 0x44 'hwmon/hwmon*/temp1_input')")"
fi

# --- IIO: ADC and pressure sensor ---
if bind ti-ads1015 ads1015 0x4a ads1015; then
	for ch in 0 3; do
		raw=$(read_attr "$(client_file 0x4a "iio:device*/in_voltage${ch}_raw")")
		scale=$(read_attr "$(client_file 0x4a "iio:device*/in_voltage${ch}_scale")")
		case $ch in
		0) mv=$ADS_AIN0_MV ;;
		*) mv=$ADS_AIN3_MV ;;
		esac
		check_near "ads1015: in_voltage${ch}_raw x scale (raw $raw, scale $scale)" "$mv" 3 \
			"$(awk -v r="$raw" -v s="$scale" 'BEGIN { if (r != "" && s != "") printf("%.3f", r * s) }')"
	done
fi
if bind bmp280-i2c bmp280 0x76 bmp280; then
	check_near "bmp280: in_temp_input" "$BMP280_MC" 20 "$(read_attr "$(client_file 0x76 'iio:device*/in_temp_input')")"
	check_near "bmp280: in_pressure_input (kPa)" "$BMP280_KPA" 0.01 "$(read_attr "$(client_file 0x76 'iio:device*/in_pressure_input')")"
fi

# --- GPIO expander (gpio-pca953x, built out of tree) ---
if bind gpio-pca953x pca9555 0x20 pca953x; then
	chip=
	for c in /sys/class/gpio/gpiochip*; do
		[ "$(readlink -f "$c/device")" = "$(readlink -f "$(client_dir "$bus" 0x20)")" ] && chip=$c
	done
	if [ -z "$chip" ]; then
		fail "pca9555: no gpiochip under /sys/class/gpio"
	else
		base=$(cat "$chip/base")
		check_eq "pca9555: 16 lines" 16 "$(cat "$chip/ngpio")"
		# Lines configured as inputs read the levels the host set (PCA_INPUTS).
		for line in 0 1 2 3 8 9 14 15; do
			echo $((base + line)) >/sys/class/gpio/export
			echo in >"/sys/class/gpio/gpio$((base + line))/direction"
			check_eq "pca9555: input line $line" $(((PCA_INPUTS >> line) & 1)) \
				"$(cat "/sys/class/gpio/gpio$((base + line))/value")"
		done
		# A line the guest drives: its level shows in the input port register,
		# which reflects the pins (read with i2cget -f past the bound driver).
		echo out >"/sys/class/gpio/gpio$((base + 1))/direction"
		echo 1 >"/sys/class/gpio/gpio$((base + 1))/value"
		echo out >"/sys/class/gpio/gpio$((base + 14))/direction"
		echo 0 >"/sys/class/gpio/gpio$((base + 14))/value"
		expect0=$(printf '0x%02x' $(((PCA_INPUTS | 0x2) & 0xff)))
		expect1=$(printf '0x%02x' $((((PCA_INPUTS >> 8) & ~0x40) & 0xff)))
		check_out "pca9555: input port 0 shows output line 1 driven high" "$expect0" i2cget -f -y "$bus" 0x20 0x00
		check_out "pca9555: input port 1 shows output line 14 driven low" "$expect1" i2cget -f -y "$bus" 0x20 0x01
		check_out "pca9555: configuration port 0 (line 1 output)" 0xfd i2cget -f -y "$bus" 0x20 0x06
	fi
fi

# --- RTC ---
rtc_check ds1307 "$RTC_OFFSET"
run i2cdetect -y "$bus"
finish
