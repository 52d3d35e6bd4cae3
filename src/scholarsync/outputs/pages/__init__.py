"""outputs/pages"""
